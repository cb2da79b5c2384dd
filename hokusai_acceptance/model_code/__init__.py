"""Model code logged *as code* with a model (MLflow's models-from-code): each file here is stored in the
registry and executed when the model is loaded, so a loader needs nothing from this package."""
