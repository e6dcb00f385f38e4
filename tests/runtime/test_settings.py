"""Settings: the embedded databases live in the var directory unless a URL says otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings


def test_only_the_var_dir_set_moves_every_embedded_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout is read
    monkeypatch.setenv("BCA_VAR_DIR", str(tmp_path / "state"))
    settings = Settings()
    assert settings.banner_url == f"sqlite:///{tmp_path}/state/banner.db"
    assert settings.database_url == f"sqlite:///{tmp_path}/state/app.db"
    assert settings.resolved_checkpoint_url() == str(tmp_path / "state" / "checkpoints.db")
    assert settings.resolved_kb_dir() == tmp_path / "state" / "kb"


def test_a_configured_url_stays_where_it_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BCA_VAR_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BCA_BANNER_URL", "postgresql://banner.example.edu/prod")
    settings = Settings()
    assert settings.banner_url == "postgresql://banner.example.edu/prod"
    assert settings.database_url == f"sqlite:///{tmp_path}/state/app.db"
