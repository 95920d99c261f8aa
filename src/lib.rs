//! rumedbench: train, score and serve the classical baselines of RuMedBench.
