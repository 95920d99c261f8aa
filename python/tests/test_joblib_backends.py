"""The estimators under scikit-learn's joblib backends for clusters: ``GridSearchCV`` on Dask's
backend (a local two-process cluster, so every fit is pickled to another process and back)
gives the in-process scores, choice and refitted model. (Spark's backend, joblibspark, is tested
in ``test_spark.py`` with the Spark session.)"""

import numpy as np

import rumedbench as rb


def test_grid_search_runs_on_the_dask_joblib_backend(toy):
    from distributed import Client, LocalCluster
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV

    X, y = toy
    grid = {"C": [1.0, 10.0], "ngram_range": [(2, 4), (3, 8)]}
    local = GridSearchCV(rb.CharTfidfClassifier(), grid, cv=2).fit(X, y)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster):
        with parallel_backend("dask"):
            remote = GridSearchCV(rb.CharTfidfClassifier(), grid, cv=2, n_jobs=2).fit(X, y)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
