"""The scenario world's abilities, one module per capability (health, auth, ...).

Each module holds a mixin of :class:`hokusai_acceptance.world.RegistryWorld`:
actions that exercise the target and checks that raise ``AssertionError`` for a
broken contract or a typed error when the target could not be exercised.
"""
