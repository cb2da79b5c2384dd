"""behave hooks: wiring only. The work happens in hokusai_acceptance.behave_support."""

from hokusai_acceptance import behave_support as support

support.register_parse_types()


def before_all(context):
    support.before_all(context)


def before_scenario(context, scenario):
    support.before_scenario(context, scenario)


def after_step(context, step):
    support.after_step(context, step)


def after_scenario(context, scenario):  # noqa: ARG001 - behave's hook signature
    support.after_scenario(context)


def after_all(context):
    support.after_all(context)


# The run-level hooks report progress and the verdict on the console: never capture them.
before_all.capture = False
after_all.capture = False
