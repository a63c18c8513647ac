"""Registers the predictors as lazy references: importing this module costs nothing."""
from nas_kernel import hookimpl


@hookimpl
def register_predictors(register):
    register("mlp_ensemble", "nas_predictors.mlp_ensemble:PredictiveDNNEnsemble")
    register("gaussian_process", "nas_predictors.gaussian_process:GaussianProcessPredictor")
    register("random_forest", "nas_predictors.random_forest:RandomForestPredictor")
    register("boosted_trees", "nas_predictors.boosted_trees:BoostedTreesPredictor")
    register("gcn", "nas_predictors.gcn:GCNPredictor")
