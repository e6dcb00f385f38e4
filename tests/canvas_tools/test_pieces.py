"""The pure pieces under the tools: the leaky-bucket mirror, the SIS CSV builder, the session's
reading of the environment."""

from __future__ import annotations

import csv
import io
import threading
import time
import zipfile

import pytest
from requests.utils import select_proxy

from tools.canvas.models import EnrollmentSpec, SisEnrollmentRow, SisImportSpec, SisUserRow
from tools.canvas.session import CanvasSession, Pacer, PacingPolicy, RetryPolicy
from tools.canvas.sis_imports import sis_zip


def test_pacer_lets_as_many_requests_fly_as_the_bucket_holds() -> None:
    pacer = Pacer(PacingPolicy(high_water=600, reserve=100, up_front_cost=50))
    for _ in range(10):  # 10 x 50 = 500 = 600 - 100
        assert pacer.acquire() == 0.0
    released: list[float] = []

    def release_later() -> None:
        time.sleep(0.2)
        released.append(time.monotonic())
        pacer.release()

    threading.Thread(target=release_later).start()
    pacer.acquire()  # the 11th waits for one of ours to finish
    assert released and time.monotonic() >= released[0]


def test_pacer_waits_for_settled_cost_to_drain() -> None:
    pacer = Pacer(PacingPolicy(high_water=600, reserve=100, up_front_cost=50, drain_per_second=100))
    pacer.acquire()
    pacer.observe(60.0)  # Canvas: 540 settled, nothing else of ours in flight
    pacer.release()
    # 540 + 50 > 500: wait until 90 units drained, 0.9 s at 100/s
    assert pacer.acquire() == pytest.approx(0.9, abs=0.1)


def test_sis_zip_writes_one_csv_per_kind_with_headers() -> None:
    spec = SisImportSpec(
        users=[SisUserRow(user_id="A001", login_id="a001", full_name="Ann, B")],
        enrollments=[SisEnrollmentRow(section_id="S1", user_id="A001")],
    )
    archive = zipfile.ZipFile(io.BytesIO(sis_zip(spec)))
    assert sorted(archive.namelist()) == ["enrollments.csv", "users.csv"]
    users = list(csv.DictReader(io.StringIO(archive.read("users.csv").decode())))
    assert users == [
        {
            "user_id": "A001",
            "login_id": "a001",
            "integration_id": "",
            "full_name": "Ann, B",
            "sortable_name": "",
            "short_name": "",
            "email": "",
            "status": "active",
        }
    ]
    enrollments = list(csv.DictReader(io.StringIO(archive.read("enrollments.csv").decode())))
    assert enrollments[0]["role"] == "student" and enrollments[0]["course_id"] == ""


def test_enrollment_spec_needs_exactly_one_user_key() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        EnrollmentSpec(sis_section_id="S1")
    with pytest.raises(ValueError, match="exactly one"):
        EnrollmentSpec(sis_section_id="S1", sis_user_id="A1", user_id=3)


PROXY_VARIABLES = [
    f"{name}{suffix}" for name in ("http", "https", "all", "no") for suffix in ("_proxy", "_PROXY")
]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in [*PROXY_VARIABLES, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "REQUEST_METHOD"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_session_takes_proxies_and_ca_bundle_from_the_environment_once(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    env = clean_environment
    env.setenv("HTTPS_PROXY", "http://proxy.campus.example:3128")
    env.setenv("NO_PROXY", "localhost,.internal.example")
    env.setenv("CURL_CA_BUNDLE", "/etc/ssl/curl.pem")
    url = "https://school.instructure.com/api/v1/courses"

    session = CanvasSession(RetryPolicy(), PacingPolicy(), "https://school.instructure.com")
    env.setenv("HTTPS_PROXY", "http://elsewhere.example:8080")  # later changes are not read
    env.setenv("CURL_CA_BUNDLE", "/etc/ssl/other.pem")
    settings = session.merge_environment_settings(url, {}, None, None, None)

    assert session.trust_env is False
    assert select_proxy(url, settings["proxies"]) == "http://proxy.campus.example:3128"
    assert settings["verify"] == "/etc/ssl/curl.pem"
    env.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/requests.pem")  # requests' own name comes first
    rebuilt = CanvasSession(RetryPolicy(), PacingPolicy(), "https://school.instructure.com")
    assert rebuilt.verify == "/etc/ssl/requests.pem"


def test_session_skips_the_proxy_for_hosts_no_proxy_names(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("HTTP_PROXY", "http://proxy.campus.example:3128")
    clean_environment.setenv("NO_PROXY", "127.0.0.1,localhost")

    local = CanvasSession(RetryPolicy(), PacingPolicy(), "http://127.0.0.1:8900")
    remote = CanvasSession(RetryPolicy(), PacingPolicy(), "http://canvas.campus.example")

    assert select_proxy("http://127.0.0.1:8900/api/v1/courses", local.proxies) is None
    assert local.verify is True
    assert select_proxy("http://canvas.campus.example/api/v1/courses", remote.proxies) == (
        "http://proxy.campus.example:3128"
    )
