"""Write two tables from scikit-learn's bundled data sets next to this file: diabetes.csv (a
float target, a text column) and cancer.parquet (two classes)."""
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_diabetes

here = Path(__file__).resolve().parent
diabetes = load_diabetes(as_frame=True).frame
diabetes["sex"] = diabetes["sex"].map(lambda v: "f" if v > 0 else "m")  # a categorical column, as tables have
diabetes.to_csv(here / "diabetes.csv", index=False)
load_breast_cancer(as_frame=True).frame.to_parquet(here / "cancer.parquet")
