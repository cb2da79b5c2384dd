"""The scenario world's abilities, one module per capability (health, auth, ...).

Each module holds one capability object the world holds (``world.auth``,
``world.registration``, ...; :class:`.base.Capability`): actions that exercise the
target, its own typed state, and checks that raise ``AssertionError`` for a broken
contract or a typed error when the target could not be exercised.
"""
