"""Model registration steps."""

from behave import given, then, when


@given("a scikit-learn classifier trained on a sample data set")
def step_a_trained_scikit_learn_classifier(context):
    context.world.registration.train_classifier()


@given("a {kind} model trained on a sample data set")
def step_a_model_of_a_kind(context, kind):
    context.world.registration.train_model_of_kind(kind)


@given("a scikit-learn classifier trained on a sample data set, padded to {size:d} MB")
def step_a_trained_padded_classifier(context, size):
    context.world.registration.train_classifier(padding_mb=size)


@when('I register it as model "{slug}" with token id "{token_id}" and benchmark "{metric}" of {value}')
def step_i_register_it_with_hokusai_metadata(context, slug, token_id, metric, value):
    context.world.registration.register_model(slug, token_id, metric, value)


@when(
    'I register it from its training run\'s files as model "{slug}" with token id "{token_id}" and benchmark '
    '"{metric}" of {value}'
)
def step_i_register_it_from_run_files(context, slug, token_id, metric, value):
    context.world.registration.register_model_from_run_files(slug, token_id, metric, value)


@given('I have registered it as model "{slug}" with token id "{token_id}" and benchmark "{metric}" of {value}')
def step_i_have_registered_it(context, slug, token_id, metric, value):
    context.world.registration.register_model(slug, token_id, metric, value)


@when(
    'I register it as model "{slug}" with token id "{token_id}", benchmark "{metric}" of {value} and the '
    'description "{description}"'
)
def step_i_register_it_with_a_description(context, slug, token_id, metric, value, description):
    context.world.registration.register_model(slug, token_id, metric, value, description=description)


@then('no model "{slug}" was created in the registry')
def step_no_model_was_created(context, slug):
    context.world.registration.check_nothing_written(slug)


@then('no model "{slug}" is left in the registry')
def step_no_model_is_left(context, slug):
    context.world.registration.check_nothing_written(slug)


@then("the model appears in the registry with version {version:d}")
def step_the_model_appears_in_the_registry(context, version):
    context.world.registration.check_model_in_registry(version)


@then('its Hokusai tags name token "{token_id}", metric "{metric}" and value {value}')
def step_its_hokusai_tags_name(context, token_id, metric, value):
    context.world.registration.check_hokusai_tags(token_id, metric, value)


@then("the registered model loads back and makes the same predictions")
def step_the_registered_model_loads_back(context):
    context.world.registration.check_loads_and_predicts()


@then("the registered model, at least {size:d} MB, loads back and makes the same predictions")
def step_the_large_model_loads_back(context, size):
    context.world.registration.check_large_round_trip(size)


@when("I upload model files of growing size, up to {cap:d} MB, until the registry refuses one")
def step_i_search_the_largest_upload(context, cap):
    context.world.registration.search_largest_upload(cap)


@then("every accepted file is stored whole")
def step_every_accepted_file_is_whole(context):
    context.world.registration.check_accepted_stored_whole()


@then(
    "the first file above the limit is refused as too large (HTTP {status:d}) with a message, not a timeout or "
    "a broken connection"
)
def step_refused_clearly(context, status):
    context.world.registration.check_refused_clearly(status)


@then("no part of a refused file is stored")
def step_no_part_of_a_refused_file(context):
    context.world.registration.check_refused_not_stored()


@when('my MLflow process registering a {size:d} MB model as "{slug}" dies after sending {cut:d} MB of its files')
def step_my_registration_dies_midway(context, size, slug, cut):
    context.world.registration.register_and_die_midway(size, slug, cut)


@then('no version of model "{slug}" carries the Hokusai tags unless it is complete and loads')
def step_nothing_looks_registered(context, slug):
    context.world.registration.check_nothing_looks_registered(slug)


@when('the suite cleans up what the cut left of "{slug}"')
def step_cleanup_after_the_cut(context, slug):
    context.world.registration.clean_up_after(slug)


@then('nothing of "{slug}" is left in the registry')
def step_nothing_is_left(context, slug):
    context.world.registration.check_nothing_left(slug)


@when("I archive version {version:d}")
def step_i_archive_version(context, version):
    context.world.registration.archive_version(version)


@then("version {version:d} is marked archived in the registry")
def step_version_is_archived(context, version):
    context.world.registration.check_archived(version)


@then('version {version:d} still carries token id "{token_id}" and benchmark "{metric}" of {value}')
def step_version_still_carries(context, version, token_id, metric, value):
    context.world.registration.check_version_tags(version, token_id, metric, value)


@then("the run behind the model records its training parameters and metrics")
def step_the_run_records_training(context):
    context.world.registration.check_run_records_training()


@then('the model version keeps the description "{description}" and its input signature')
def step_the_version_keeps_description_and_signature(context, description):
    context.world.registration.check_description_and_signature(description)


@given('I have pointed the alias "{alias}" at version {version:d}')
def step_i_have_pointed_the_alias(context, alias, version):
    context.world.registration.set_alias(alias, version)


@when('I move the alias "{alias}" back to version {version:d}')
def step_i_move_the_alias_back(context, alias, version):
    context.world.registration.set_alias(alias, version)


@when("I delete version {version:d}")
def step_i_delete_version(context, version):
    context.world.registration.delete_version(version)


@then("the registry holds only version {version:d} of the model")
def step_the_registry_holds_only(context, version):
    context.world.registration.check_versions(version)


@then('"{reference}" retrieves version {version:d}')
def step_reference_retrieves_version(context, reference, version):
    context.world.registration.check_retrieval(reference, version)


@when('I point the alias "{alias}" at version {version:d}')
def step_i_point_the_alias_at(context, alias, version):
    context.world.registration.set_alias(alias, version)


@when('I point the alias "{alias}" at the new version')
def step_i_point_the_alias(context, alias):
    context.world.registration.set_alias(alias)


@then("the registry holds versions 1 and 2 of the model")
def step_the_registry_holds_versions_1_and_2(context):
    context.world.registration.check_versions(1, 2)


@then('"{reference}" retrieves the new version')
def step_reference_retrieves_the_new_version(context, reference):
    context.world.registration.check_retrieval(reference)


@when('I register model "{slug}" through the REST API with token id "{token_id}" and benchmark "{metric}" of {value}')
def step_i_register_through_rest(context, slug, token_id, metric, value):
    context.world.registration.register_via_rest(slug, token_id, metric, value)


@given(
    'I have registered model "{slug}" through the REST API with token id "{token_id}" and benchmark "{metric}" '
    "of {value}"
)
def step_i_have_registered_via_rest(context, slug, token_id, metric, value):
    context.world.registration.register_via_rest(slug, token_id, metric, value)


@then("the REST-registered version carries valid Hokusai tags and its benchmark metric")
def step_the_rest_version_is_hokusai_ready(context):
    context.world.registration.check_rest_registration()


@when('{count:d} developers register versions of model "{slug}" at the same time')
def step_developers_register_concurrently(context, count, slug):
    context.world.registration.register_concurrently(slug, count)


@then("the model has {count:d} distinct versions, each with its own tags")
def step_the_model_has_distinct_versions(context, count):
    context.world.registration.check_concurrent_versions(count)


@given("I set up MLflow with {key} instead of my valid one")
def step_i_set_up_mlflow_with_another_key(context, key):
    context.world.use_key_described(key)


@when('I start registering model "{slug}" with the plain MLflow client, set up as the quick start says')
def step_i_start_registering_as_a_developer(context, slug):
    context.world.registration.start_registering_as_developer(slug)


@then('MLflow gives up within {seconds:d} seconds with an error that says "{words}"')
def step_mlflow_tells_the_developer(context, seconds, words):
    context.world.registration.check_developer_told(seconds, words)


@when(
    'I tag version {version:d} through plain MLflow with token id "{token_id:Quoted}" and benchmark value '
    '"{value:Quoted}"'
)
def step_i_tag_a_version_through_plain_mlflow(context, version, token_id, value):
    context.world.registration.tag_directly(version, token_id, value)


@then("the registry keeps the tags of version {version:d} as they were sent")
def step_the_registry_keeps_the_tags(context, version):
    context.world.registration.check_tags_kept_as_sent(version)


@then(
    "the suite reports version {version:d} as not Hokusai-ready, because its token id and its benchmark value "
    "break the rules"
)
def step_the_suite_reports_not_ready(context, version):
    context.world.registration.check_not_hokusai_ready(version)
