"""JSON model files: exact round trips, atomic saves, and loads that refuse bad files."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import lingrad
from lingrad import LinearRegression, SufficientStats
from lingrad._modelfile import schema
from lingrad.persist import (
    FORMAT,
    SCHEMA_VERSION,
    ModelFileError,
    load_model,
    read_model_file,
    save_model,
)


def _data(n=60, f=3, k=None, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, f)).astype(dtype)
    coef = rng.normal(size=(f,) if k is None else (f, k))
    y = X.astype(np.float64) @ coef + 0.5 + 0.1 * rng.normal(size=(n,) if k is None else (n, k))
    return X, y


def _fit(X, y, **kw):
    kw.setdefault("random_state", 0)
    kw.setdefault("n_iters", 200)
    return LinearRegression(**kw).fit(X, y)


def _with_stats(model, X, y):
    """Attach ``stats_`` as the estimator will once it records them."""
    model.stats_ = SufficientStats.from_arrays(X, np.asarray(y, dtype=np.float64))
    return model


def _assert_same_model(a: LinearRegression, b: LinearRegression) -> None:
    assert a.get_params() == b.get_params()
    assert b.coef_.dtype == a.coef_.dtype
    np.testing.assert_array_equal(b.coef_, a.coef_)
    assert type(b.intercept_) is type(a.intercept_)
    np.testing.assert_array_equal(b.intercept_, a.intercept_)
    np.testing.assert_array_equal(b.coef_init_, a.coef_init_)
    np.testing.assert_array_equal(b.intercept_init_, a.intercept_init_)
    assert b.n_features_in_ == a.n_features_in_
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_array_equal(b.loss_history_, a.loss_history_)
    assert b.converged_ == a.converged_
    assert b.stop_reason_ == a.stop_reason_
    assert b.lr_ == a.lr_
    assert b.engine_ == a.engine_
    da, db = a.diagnostics_.to_dict(), b.diagnostics_.to_dict()
    assert da.keys() == db.keys()
    for key in da:
        np.testing.assert_equal(db[key], da[key], err_msg=key)  # nan == nan here
        assert type(db[key]) is type(da[key]), key


# ------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("multi", [False, True], ids=["1d", "multi"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("engine", ["stats", "direct"])
def test_round_trip_predicts_bitwise(tmp_path, multi, fit_intercept, dtype, engine):
    X, y = _data(k=2 if multi else None, dtype=dtype)
    model = _fit(X, y, fit_intercept=fit_intercept, engine=engine)
    path = save_model(model, tmp_path / "model.json")
    loaded = load_model(path)

    check_is_fitted(loaded)
    _assert_same_model(model, loaded)
    assert not hasattr(loaded, "feature_names_in_")
    for Xp in (X, X.astype(np.float64), X.astype(np.float32)):
        expected = model.predict(Xp)
        got = loaded.predict(Xp)
        assert got.dtype == expected.dtype
        assert got.tobytes() == expected.tobytes()
    assert loaded.score(X, y) == model.score(X, y)


def test_round_trip_feature_names_from_dataframe(tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = _data(f=3)
    df = pd.DataFrame(X, columns=["size", "rooms", "age"])
    model = _fit(df, y)
    loaded = load_model(save_model(model, tmp_path / "model.json"))

    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert loaded.predict(df).tobytes() == model.predict(df).tobytes()
    wrong = df.rename(columns={"age": "year"})
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(wrong)


def test_round_trip_sufficient_stats(tmp_path):
    X, y = _data(k=2)
    model = _with_stats(_fit(X, y), X, y)
    loaded = load_model(save_model(model, tmp_path / "model.json"))

    s, t = model.stats_, loaded.stats_
    assert isinstance(t, SufficientStats)
    assert (t.n_samples, t.sum_weights, t.n_features) == (s.n_samples, s.sum_weights, s.n_features)
    assert type(t.n_samples) is int and type(t.sum_weights) is float
    assert t.mean.tobytes() == s.mean.tobytes()
    assert t.scatter.tobytes() == s.scatter.tobytes()
    assert t.n_targets == 2


def test_model_without_stats_loads_with_stats_none(tmp_path):
    X, y = _data()
    model = _fit(X, y)
    model.stats_ = None
    loaded = load_model(save_model(model, tmp_path / "model.json"))
    assert loaded.stats_ is None


def test_floats_round_trip_exactly(tmp_path):
    X, y = _data(f=6)
    model = _fit(X, y)
    tricky = np.array([0.1 + 0.2, 5e-324, -0.0, 1e308, 2.0**-1074 * 3, 1 / 3])
    model.coef_ = tricky.copy()
    model.intercept_ = -1e-310
    loaded = load_model(save_model(model, tmp_path / "model.json"))
    assert loaded.coef_.tobytes() == tricky.tobytes()  # bit patterns, including -0.0
    assert np.signbit(loaded.coef_[2])
    assert loaded.intercept_ == -1e-310


def test_target_names_and_metadata(tmp_path):
    X, y = _data(k=2)
    model = _fit(X, y)
    path = save_model(model, tmp_path / "model.json", target_names=["price", "rent"])
    info = read_model_file(path)
    assert info.target_names == ["price", "rent"]
    assert info.schema_version == SCHEMA_VERSION
    assert info.lingrad_version == lingrad.__version__
    assert datetime.fromisoformat(info.created).tzinfo is not None
    assert info.notes == ()
    _assert_same_model(model, info.model)

    X1, y1 = _data()
    single = _fit(X1, y1)
    assert read_model_file(save_model(single, path, target_names="price")).target_names == ["price"]
    with pytest.raises(ValueError, match="target_names has 1 names but the model has 2 targets"):
        save_model(model, path, target_names=["price"])
    with pytest.raises(ValueError, match="sequence of strings"):
        save_model(model, path, target_names=[1, 2])


def test_random_state_instance_saved_as_null_with_note(tmp_path):
    X, y = _data()
    model = _fit(X, y, random_state=np.random.RandomState(3))
    info = read_model_file(save_model(model, tmp_path / "model.json"))
    assert info.model.random_state is None
    assert any("RandomState" in note and "integer random_state" in note for note in info.notes)
    assert info.model.predict(X).tobytes() == model.predict(X).tobytes()

    seeded = _fit(X, y, random_state=np.int64(7))
    assert load_model(save_model(seeded, tmp_path / "seeded.json")).random_state == 7


def test_file_is_standard_json_with_schema_fields(tmp_path):
    X, y = _data()
    model = _with_stats(_fit(X, y, engine="direct"), X, y)  # direct: diagnostics hold nan
    path = save_model(model, tmp_path / "model.json")

    def no_constants(token):
        raise AssertionError(f"non-standard JSON token {token}")

    doc = json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)
    assert doc["format"] == FORMAT == "lingrad-model"
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    # every field but "design", written only for formula fits (tests/test_formula_persist.py)
    assert set(doc) == set(schema.FIELD_ORDER) - {"design"}
    assert doc["params"] == model.get_params()
    assert doc["n_features_in"] == 3 and doc["n_targets"] == 1 and doc["y_ndim"] == 1
    assert doc["dtype"] == "float64"
    assert doc["coef"] == model.coef_.tolist()
    assert doc["intercept"] == model.intercept_
    assert doc["loss_history"] == model.loss_history_.tolist()
    assert doc["n_iter"] == model.n_iter_ and doc["stop_reason"] == model.stop_reason_
    assert doc["stats"]["n_features"] == 3 and len(doc["stats"]["scatter"]) == 4
    assert set(doc["diagnostics"]) == set(model.diagnostics_.to_dict())
    # Non-finite diagnostics are written as strings and read back as floats.
    assert doc["diagnostics"]["max_coef_gap"] == "nan"
    assert math.isnan(load_model(path).diagnostics_.max_coef_gap)


def test_infinite_diagnostics_round_trip(tmp_path):
    X, y = _data()
    model = _fit(X, y)
    d = model.diagnostics_.to_dict()
    d.update(condition_number=math.inf, objective_gap=-math.inf, est_iters_gd=math.inf)
    d["exact_coef"] = np.array([math.nan, 1.0, 2.0])
    model.diagnostics_ = type(model.diagnostics_)(**d)
    path = save_model(model, tmp_path / "model.json")
    doc = json.loads(path.read_text())
    assert doc["diagnostics"]["condition_number"] == "inf"
    assert doc["diagnostics"]["objective_gap"] == "-inf"
    assert doc["diagnostics"]["exact_coef"][0] == "nan"
    _assert_same_model(model, load_model(path))


def test_missing_hyperparameter_takes_its_default(tmp_path):
    """Files from a lingrad with fewer hyperparameters still load."""
    X, y = _data()
    path = save_model(_fit(X, y, verbose=1), tmp_path / "model.json")
    doc = json.loads(path.read_text())
    del doc["params"]["verbose"]
    path.write_text(json.dumps(doc))
    assert load_model(path).verbose is False


# ------------------------------------------------------------------- refusing to save


def test_unfitted_model_is_refused(tmp_path):
    with pytest.raises(NotFittedError, match=r"not fitted yet.*Call fit\(X, y\) before save"):
        save_model(LinearRegression(), tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []


def test_not_a_lingrad_model_is_refused(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(TypeError, match="lingrad LinearRegression; got Ridge"):
        save_model(Ridge(), tmp_path / "model.json")


def test_non_finite_coefficients_are_refused(tmp_path):
    X, y = _data()
    model = _fit(X, y)
    model.coef_ = model.coef_.copy()
    model.coef_[1] = np.nan
    with pytest.raises(ValueError, match=r"coef_ contains NaN or inf.*Refit"):
        save_model(model, tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []


def test_unsupported_hyperparameter_value_is_refused(tmp_path):
    X, y = _data()
    model = _fit(X, y)
    model.momentum = [0.9]
    with pytest.raises(ValueError, match=r"hyperparameter momentum=.*None, bool, int, float"):
        save_model(model, tmp_path / "model.json")


# ----------------------------------------------------------------- refusing to load


@pytest.fixture
def saved(tmp_path):
    """A valid 2-target model file with statistics, and its document."""
    X, y = _data(k=2)
    model = _with_stats(_fit(X, y), X, y)
    path = save_model(model, tmp_path / "model.json", target_names=["a", "b"])
    return path, json.loads(path.read_text())


def _load_error(path) -> str:
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    msg = str(info.value)
    assert str(path) in msg, "the message names the file"
    assert isinstance(info.value, ValueError)
    return msg


def test_garbage_bytes(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage")
    assert "not UTF-8 text" in _load_error(path)
    path.write_bytes(b"model: this is not JSON at all")
    msg = _load_error(path)
    assert "not valid JSON" in msg and "line 1" in msg
    path.write_bytes(b"")
    assert "empty" in _load_error(path)


def test_truncated_file(saved):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    msg = _load_error(path)
    assert "truncated" in msg and "backup" in msg


def test_not_a_json_object(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("[1, 2, 3]")
    assert "not a JSON object" in _load_error(path)


def test_future_schema_version(saved):
    path, doc = saved
    doc["schema_version"] = SCHEMA_VERSION + 1
    doc["lingrad_version"] = "9.0.0"
    doc["new_field_of_the_future"] = 1
    path.write_text(json.dumps(doc))
    msg = _load_error(path)
    assert f"schema version {SCHEMA_VERSION + 1}" in msg
    assert "lingrad 9.0.0" in msg
    assert f"reads schema version {SCHEMA_VERSION} only" in msg
    assert "Upgrade lingrad" in msg


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def edit(doc):
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _delete(key):
    return lambda doc: doc.pop(key)


TAMPERED = {
    "wrong coef length": (
        lambda d: d["coef"][0].pop(),
        "'coef'[0] has 2 entries, but n_features_in is 3",
    ),
    "wrong number of targets": (
        _set("n_targets", 3),
        "'coef' has 2 entries, but n_targets is 3",
    ),
    "unknown field": (_set("payload", "__import__('os')"), "unknown field 'payload'"),
    "missing field": (_delete("coef"), "required field(s) 'coef' are missing"),
    "wrong format": (_set("format", "pickle"), "its 'format' is 'pickle'"),
    "no format": (_delete("format"), "no 'format' field"),
    "bad version": (_set("schema_version", "1"), "'schema_version' must be a positive integer"),
    "n_iter as string": (_set("n_iter", "ten"), "'n_iter' must be an integer >= 0; got 'ten'"),
    "converged as string": (_set("converged", "yes"), "'converged' must be true or false"),
    "coef entry as string": (
        lambda d: d["coef"][1].__setitem__(0, "1.5"),
        "'coef'[1][0] must be a number; got a string '1.5'",
    ),
    "coef as object": (_set("coef", {"a": 1}), "'coef' must be a list of 2 numbers"),
    "unknown dtype": (_set("dtype", "object"), "'dtype' must be one of 'float64', 'float32'"),
    "unknown engine": (_set("engine", "magic"), "'engine' must be one of 'stats', 'direct'"),
    "negative lr": (_set("lr", -0.1), "'lr' must be a positive number"),
    "y_ndim vs n_targets": (_set("y_ndim", 1), "'y_ndim' is 1 (a 1-D target) but 'n_targets' is 2"),
    "feature names length": (
        _set("feature_names", ["a", "b"]),
        "'feature_names' has 2 names, but n_features_in is 3",
    ),
    "target names length": (
        _set("target_names", ["a"]),
        "'target_names' has 1 names, but n_targets is 2",
    ),
    "unknown hyperparameter": (
        _set("params", "fast_mode", True),
        "unknown hyperparameter 'fast_mode'",
    ),
    "hyperparameter as list": (
        _set("params", "lr", [0.1]),
        "hyperparameter 'lr' must be null, a boolean, a number or a string",
    ),
    "params as list": (_set("params", []), "'params' must be an object"),
    "non-symmetric scatter": (
        lambda d: d["stats"]["scatter"][0].__setitem__(1, d["stats"]["scatter"][0][1] + 1.0),
        "'stats.scatter' is not symmetric",
    ),
    "stats scatter shape": (
        lambda d: d["stats"]["scatter"].pop(),
        "'stats.scatter' has 4 entries, but n_features_in + n_targets is 5",
    ),
    "stats mean non-numeric": (
        lambda d: d["stats"]["mean"].__setitem__(0, "nan"),
        "'stats.mean'[0] must be a number",
    ),
    "stats n_features": (
        _set("stats", "n_features", 2),
        "'stats.n_features' is 2, but n_features_in is 3",
    ),
    "stats extra field": (_set("stats", "xx", 1), "'stats' must have exactly the fields"),
    "diagnostics unknown field": (
        _set("diagnostics", "secret", 1),
        "'diagnostics' has unknown field(s) 'secret'",
    ),
    "diagnostics bad number": (
        _set("diagnostics", "lipschitz", "big"),
        '\'diagnostics.lipschitz\' must be a number (or "nan", "inf", "-inf")',
    ),
    "loss history entry": (
        lambda d: d["loss_history"].__setitem__(1, None),
        "'loss_history'[1] must be a number",
    ),
    "intercept without fit_intercept": (
        _set("params", "fit_intercept", False),
        "'intercept' is not 0 although params has fit_intercept=false",
    ),
    "float32 overflow": (
        lambda d: (d.__setitem__("dtype", "float32"), d["coef"][0].__setitem__(0, 1e300)),
        "'coef' has a value too large for float32",
    ),
    "bad created time": (_set("created", "yesterday"), "'created' is not an ISO 8601 time"),
}


@pytest.mark.parametrize("edit, expected", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_file(saved, edit, expected):
    path, doc = saved
    edit(doc)
    path.write_text(json.dumps(doc))
    msg = _load_error(path)
    assert expected in msg


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_literal_in_coefficients(saved, token):
    path, doc = saved
    doc["coef"][0][1] = 12345.678
    text = json.dumps(doc).replace("12345.678", token)
    assert token in text
    path.write_text(text)
    msg = _load_error(path)
    assert "non-finite number" in msg and token in msg


def test_duplicate_key(saved):
    path, doc = saved
    text = json.dumps(doc)
    path.write_text(text.replace('"n_iter": ', '"n_iter": 1, "n_iter": ', 1))
    assert "'n_iter' appears twice" in _load_error(path)


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.json")


# ------------------------------------------------------------------------ atomicity


@pytest.fixture
def previous(tmp_path):
    """A directory holding one good model file; returns (model, path, bytes)."""
    X, y = _data()
    model = _fit(X, y)
    path = save_model(model, tmp_path / "model.json")
    return model, path, path.read_bytes()


def _assert_intact(path, data):
    assert path.read_bytes() == data
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "no temp files left"
    load_model(path)


def test_failed_rename_keeps_previous_file(monkeypatch, previous):
    model, path, data = previous
    model.coef_ = model.coef_ + 1.0

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match=r"No space left on device.*previous file at that path"):
        save_model(model, path)
    monkeypatch.undo()
    _assert_intact(path, data)


def test_failure_mid_write_keeps_previous_file(monkeypatch, previous):
    model, path, data = previous
    real_dumps = json.dumps
    calls = {"n": 0}

    def dumps_then_fail(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 10:  # a few fields are already in the temporary file
            raise RuntimeError("interrupted")
        return real_dumps(*args, **kwargs)

    monkeypatch.setattr(json, "dumps", dumps_then_fail)
    with pytest.raises(RuntimeError, match="interrupted"):
        save_model(model, path)
    monkeypatch.undo()
    _assert_intact(path, data)


def test_interrupt_during_fsync_keeps_previous_file(monkeypatch, previous):
    model, path, data = previous

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(model, path)
    monkeypatch.undo()
    _assert_intact(path, data)


def test_replacing_keeps_permissions(previous):
    model, path, _ = previous
    os.chmod(path, 0o640)
    save_model(model, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_new_file_follows_umask(tmp_path):
    X, y = _data()
    old = os.umask(0o027)
    try:
        path = save_model(_fit(X, y), tmp_path / "model.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


# ----------------------------------------------------------------- unwritable paths


def test_directory_does_not_exist(tmp_path):
    X, y = _data()
    target = tmp_path / "missing" / "model.json"
    with pytest.raises(FileNotFoundError, match=r"'.*missing' does not exist\. Create it first"):
        save_model(_fit(X, y), target)
    assert list(tmp_path.iterdir()) == []


def test_path_is_a_directory(tmp_path):
    X, y = _data()
    with pytest.raises(IsADirectoryError, match=r"is a directory; give a file path"):
        save_model(_fit(X, y), tmp_path)


def test_parent_is_a_file(tmp_path):
    X, y = _data()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        save_model(_fit(X, y), tmp_path / "file" / "model.json")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_read_only_directory(tmp_path):
    X, y = _data()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match=r"cannot create a file in .*writable"):
            save_model(_fit(X, y), ro / "model.json")
    finally:
        ro.chmod(0o700)


def test_float32_intercept_overflow(tmp_path):
    X, y = _data(dtype=np.float32)
    path = save_model(_fit(X, y), tmp_path / "model.json")
    doc = json.loads(path.read_text())
    doc["intercept"] = 1e300
    path.write_text(json.dumps(doc))
    assert "'intercept' has a value too large for float32" in _load_error(path)


def test_unwritable_directory_message(monkeypatch, tmp_path):
    """Runs as root too: the temporary file cannot be created."""
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    X, y = _data()
    model = _fit(X, y)
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError) as info:
        save_model(model, tmp_path / "model.json")
    msg = str(info.value)
    assert str(tmp_path / "model.json") in msg
    assert "Permission denied" in msg and "writable by this user" in msg


# ------------------------------------------------------------ files of earlier lingrads

_DATA = Path(__file__).parent / "data"


def test_model_file_of_schema_1_loads_and_predicts_identically(tmp_path):
    """tests/data/model_v1.json was written by lingrad before model files became a package."""
    info = read_model_file(_DATA / "model_v1.json")
    expected = json.loads((_DATA / "model_v1_predictions.json").read_text(encoding="utf-8"))
    model = info.model
    assert info.schema_version == 1 and info.target_names == ["price", "rent"]
    assert info.created == "2026-12-01T08:33:20+00:00" and info.notes == ()
    assert list(model.feature_names_in_) == expected["feature_names"]
    assert model.get_params()["optimizer"] == "nesterov" and model.engine_ == "stats"
    assert model.coef_.shape == (2, 3) and model.stats_.n_targets == 2
    X = np.asarray(expected["X"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        assert model.predict(X).tolist() == expected["predictions"]  # bit for bit

    # Saved again, it is the same file, but for the time of writing and the fields added
    # since (the hyperparameter precondition, "none" for a file saved before it existed,
    # and the optional diagnostics): every old line is still there, unchanged.
    assert model.precondition == "none" and model.diagnostics_.precondition == "none"
    again = save_model(model, tmp_path / "again.json", target_names=info.target_names)
    old = (_DATA / "model_v1.json").read_text(encoding="utf-8").splitlines()
    new = again.read_text(encoding="utf-8").splitlines()
    # diagnostics gained reference_method (issue 10): an old file loads as "normal equations"
    assert model.diagnostics_.reference_method == "normal equations"
    added_ref = [line for line in new if '"reference_method"' in line]
    assert added_ref == ['    "reference_method": "normal equations",']
    new = [line for line in new if line not in added_ref]
    added = (
        '"precondition": "none"',
        '"raw_condition_number"',
        '"coef_unique"',
        '"refined"',
        '"exact_ssr"',
        '"reference_digits"',  # the statistics' estimated digits (issue 10), nan when not estimated
        '"fit_tol"',  # the fit's tol, which the iteration estimates name (issue 15)
    )
    added += ('"missing": "raise"',)  # the hyperparameter missing (issue 13), default "raise"
    added += ('"positive": false', '"bounds": null')  # the coefficient box (issue 14), defaults
    new = [line for line in new if not line.strip().startswith(added)]
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    for a, b in changed:
        same_but_comma = b == a + "," and '"exact_intercept"' in a  # no longer the last field
        assert same_but_comma or ('"created"' in a or '"lingrad_version"' in a), (a, b)


def test_a_huge_tampered_value_is_echoed_short(tmp_path):
    """A 1.5 MB tampered field once made a 1.5 MB one-line error."""
    X = np.arange(8.0).reshape(4, 2) ** 1.5
    path = tmp_path / "m.json"
    LinearRegression(n_iters=5, random_state=0).fit(X, X.sum(axis=1)).save(path)
    doc = json.loads(path.read_text())
    doc["engine"] = "x" * 1_500_000
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert len(str(info.value)) < 2000 and re.search(r"\(15\d{5} characters\)", str(info.value))
    with pytest.raises(ValueError, match=r"characters\)") as info:
        LinearRegression(engine="y" * 10_000).fit(X, X.sum(axis=1))
    assert len(str(info.value)) < 1000


@pytest.mark.parametrize(
    ("where", "value", "complaint"),
    [
        (("stats", "n_samples"), 0, "stats.n_samples"),
        (("stats", "sum_weights"), 0.0, "stats.sum_weights"),
        (("stop_reason",), "whatever", "stop_reason"),
        (("params", "alpha"), 2**1030, "alpha"),
    ],
)
def test_tampered_values_are_refused_at_load_not_in_summary(tmp_path, where, value, complaint):
    """Values, not only types: each of these once loaded and then crashed summary()."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    path = tmp_path / "m.json"
    LinearRegression(lr="auto", tol=1e-10, n_iters=1000, random_state=0).fit(
        X, X.sum(axis=1) + 0.1 * rng.standard_normal(30)
    ).save(path)
    doc = json.loads(path.read_text())
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match=complaint):
        load_model(path)


def test_a_negative_saved_variance_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    path = tmp_path / "m.json"
    LinearRegression(lr="auto", tol=1e-10, n_iters=1000).fit(X, X.sum(axis=1)).save(path)
    doc = json.loads(path.read_text())
    doc["stats"]["scatter"][0][0] = -1.0
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="negative variance"):
        load_model(path)
