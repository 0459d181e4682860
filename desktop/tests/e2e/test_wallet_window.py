"""End to end: the real app in a real window (WebKitGTK under Xvfb), driven through
WebDriver (tauri-driver + WebKitWebDriver), as a person would use it.

Started by desktop/scripts/test-desktop (with DISPLAY set to its Xvfb), which provides:
  DISCLOSE_E2E_APP           the disclose-wallet binary
  DISCLOSE_E2E_TAURI_DRIVER  the tauri-driver binary
  DISCLOSE_E2E_ARTIFACTS     where screenshots go
  DISCLOSE_E2E_ISSUER        the `issuer` service binary   (default: next to the app)
  DISCLOSE_E2E_VERIFIER      the `verifier` service binary (default: next to the app)

Receiving and presenting go to the real `issuer` and `verifier` services, started by the test
as the wallet's scenario test starts them (wallet/tests/scenario): separate processes on free
loopback ports with temporary data directories; the app may use plain http to them because it
runs with DISCLOSE_ALLOW_HTTP_LOOPBACK=1. Their logs land next to the screenshots.

Each app runs with its own fresh wallet folder (WALLET_VAULT and DISCLOSE_BACKUP_DIR in a
temporary directory), through its own tauri-driver on free ports. Each screen is saved as a
PNG so a person can look at what the app shows.
"""

import json
import os
import pathlib
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSPHRASE = "violet kettle orbit meadow"
BACKUP_PASSPHRASE = "copper lantern glacier tofu"
# An OpenID4VCI credential offer by value with a 4-digit transaction code (section 4.1.1).
OFFER_BY_VALUE = (
    "openid-credential-offer://?credential_offer="
    + urllib.parse.quote(
        json.dumps(
            {
                "credential_issuer": "https://issuer.example.com",
                "credential_configuration_ids": ["AgeCredential"],
                "grants": {
                    "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                        "pre-authorized_code": "SplxlOBeZQQYbYS6WxSbIA",
                        "tx_code": {
                            "input_mode": "numeric",
                            "length": 4,
                            "description": "Sent to you by email",
                        },
                    }
                },
            }
        ),
        safe="",
    )
)
# Generous: a cold start of a debug build on a busy 2-core machine is slow. These are
# upper bounds for waiting, never assertions about speed.
WAIT = 60

APP = os.environ["DISCLOSE_E2E_APP"]
TAURI_DRIVER = os.environ["DISCLOSE_E2E_TAURI_DRIVER"]
ARTIFACTS = pathlib.Path(os.environ["DISCLOSE_E2E_ARTIFACTS"])
# The real services, built in the same target directory as the app.
ISSUER = os.environ.get("DISCLOSE_E2E_ISSUER", str(pathlib.Path(APP).parent / "issuer"))
VERIFIER = os.environ.get("DISCLOSE_E2E_VERIFIER", str(pathlib.Path(APP).parent / "verifier"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def launch(tmp_path):
    """Starts the app with a fresh wallet folder under `home`; returns the WebDriver."""
    started = []

    def start(home, args=(), **extra_env):
        home.mkdir(parents=True, exist_ok=True)
        port, native_port = free_port(), free_port()
        env = dict(
            os.environ,
            WALLET_VAULT=str(home / "wallet" / "wallet.vault"),
            DISCLOSE_BACKUP_DIR=str(home / "backups"),
            **extra_env,
        )
        log = open(ARTIFACTS / f"tauri-driver-{home.name}.log", "w")
        driver_process = subprocess.Popen(
            [TAURI_DRIVER, "--port", str(port), "--native-port", str(native_port),
             "--native-driver", "/usr/bin/WebKitWebDriver"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append((None, driver_process, log))
        # Both tauri-driver and the WebKitWebDriver it starts must be listening.
        deadline = time.monotonic() + WAIT
        for listening in (port, native_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", listening), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or driver_process.poll() is not None:
                        raise RuntimeError("tauri-driver did not start; see " + log.name)
                    time.sleep(0.1)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": APP, "args": list(args)})
        driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        # The app runs on this machine: give file inputs local paths (WebDriver "element send
        # keys" on a file input), not Selenium Grid's upload endpoint, which WebKitWebDriver
        # does not have.
        driver.file_detector = UselessFileDetector()
        started[-1] = (driver, driver_process, log)
        return driver

    yield start
    for driver, driver_process, log in reversed(started):
        if driver is not None:
            driver.quit()
        driver_process.terminate()
        try:
            driver_process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            driver_process.kill()
        log.close()


def wait(driver):
    return WebDriverWait(driver, WAIT)


def visible(driver, element_id):
    return wait(driver).until(EC.visibility_of_element_located((By.ID, element_id)))


def text_in(driver, element_id, text):
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, element_id), text))
    return driver.find_element(By.ID, element_id)


def screenshot(driver, name):
    # Let the page paint what the last action changed (two animation frames and a moment)
    # before taking the picture, or it may show the previous frame.
    driver.execute_async_script(
        "const done = arguments[0];"
        "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 100)));"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.get_screenshot_as_file(str(path)), f"could not save {path}"


def focused_id(driver):
    return driver.execute_script("return document.activeElement && document.activeElement.id")


def type_into(driver, element_id, text):
    # Wait until the field is shown: right after a click the screen may not have switched yet
    # on a busy machine, and keys sent to a hidden field are lost.
    field = visible(driver, element_id)
    field.clear()
    field.send_keys(text)
    return field


def test_create_a_wallet_see_it_empty_open_an_offer_back_it_up_lock_and_unlock(launch, tmp_path):
    home = tmp_path / "first"
    app = launch(home)
    # First run: nothing on this computer yet.
    visible(app, "screen-welcome")
    assert app.find_element(By.ID, "welcome-title").text == "Welcome to Disclose Wallet"
    assert focused_id(app) == "welcome-title", "the screen's heading has the focus"
    screenshot(app, "01-welcome")

    app.find_element(By.ID, "welcome-create").click()
    visible(app, "screen-create")
    assert focused_id(app) == "create-passphrase"

    # Strength feedback, from weak to strong.
    type_into(app, "create-passphrase", "password1")
    text_in(app, "create-strength-label", "Too easy to guess")
    screenshot(app, "02-create-weak-passphrase")
    type_into(app, "create-confirm", "password1")
    app.find_element(By.ID, "create-submit").click()
    text_in(app, "create-error", "too easy to guess")
    assert not (home / "wallet" / "wallet.vault").exists()

    type_into(app, "create-passphrase", PASSPHRASE)
    wait(app).until(
        lambda d: d.find_element(By.ID, "create-strength-label").text
        in ("Strength: Strong", "Strength: Very strong")
    )
    type_into(app, "create-confirm", PASSPHRASE)
    screenshot(app, "03-create-strong-passphrase")
    app.find_element(By.ID, "create-submit").click()

    # The wallet, empty.
    visible(app, "screen-wallet")
    visible(app, "credentials-empty")
    assert "No credentials yet" in app.find_element(By.ID, "credentials-empty").text
    assert app.find_elements(By.CSS_SELECTOR, "#credential-list li") == []
    assert (home / "wallet" / "wallet.vault").exists()
    assert focused_id(app) == "credentials-title"
    screenshot(app, "04-credentials-empty")

    # Open a link: something that is not a wallet link is explained, not opened.
    app.find_element(By.ID, "empty-open").click()
    visible(app, "open-form")
    assert focused_id(app) == "open-title"
    type_into(app, "open-link", "https://example.com/some-page")
    app.find_element(By.ID, "open-submit").click()
    text_in(app, "open-error", "not a link Disclose Wallet can open")
    screenshot(app, "05-open-link-not-a-wallet-link")

    # A picture of an offer's QR code: the offer is shown (who offers what, the code it
    # needs) before anything is requested from the issuer; "Not now" leaves the wallet as it
    # was.
    picture = home / "offer-qr.png"
    subprocess.run(
        [str(pathlib.Path(APP).parent / "examples" / "qr_png"), OFFER_BY_VALUE, str(picture)],
        check=True,
    )
    app.find_element(By.ID, "open-qr").send_keys(str(picture))
    text_in(app, "offer-title", "issuer.example.com offers you a credential")
    assert "Age credential" in app.find_element(By.ID, "offer-credentials").text
    visible(app, "offer-code-field")
    assert "Sent to you by email" in app.find_element(By.ID, "offer-code-hint").text
    screenshot(app, "06-offer")
    app.find_element(By.ID, "offer-dismiss").click()
    visible(app, "credentials-empty")

    app.find_element(By.ID, "nav-history").click()
    visible(app, "history-empty")
    assert "Nothing shared yet" in app.find_element(By.ID, "history-empty").text
    screenshot(app, "07-history-empty")

    # Backup: saved as a new file in the backup folder.
    app.find_element(By.ID, "nav-backup").click()
    visible(app, "backup-form")
    type_into(app, "backup-passphrase", BACKUP_PASSPHRASE)
    type_into(app, "backup-confirm", BACKUP_PASSPHRASE)
    app.find_element(By.ID, "backup-submit").click()
    result = visible(app, "backup-result")
    assert "Backup saved" in result.text
    backups = list((home / "backups").glob("disclose-wallet-backup-*.backup"))
    assert len(backups) == 1, backups
    assert backups[0].name in result.text
    screenshot(app, "08-backup-saved")

    # Settings: auto-lock after one minute.
    app.find_element(By.ID, "nav-settings").click()
    visible(app, "settings-form")
    Select(app.find_element(By.ID, "auto-lock")).select_by_value("1")
    app.find_element(By.ID, "settings-submit").click()
    text_in(app, "settings-result", "1 minute")
    screenshot(app, "09-settings")

    # Lock now, then a wrong and a right passphrase.
    app.find_element(By.ID, "lock-now").click()
    visible(app, "screen-unlock")
    text_in(app, "unlock-notice", "Your wallet is locked.")
    assert focused_id(app) == "unlock-passphrase"
    screenshot(app, "10-locked")

    type_into(app, "unlock-passphrase", "violet kettle orbit meadows" + Keys.ENTER)
    text_in(app, "unlock-error", "doesn't open it")
    screenshot(app, "11-unlock-wrong-passphrase")

    type_into(app, "unlock-passphrase", PASSPHRASE + Keys.ENTER)
    visible(app, "screen-wallet")
    visible(app, "credentials-empty")
    screenshot(app, "12-unlocked")


def test_restore_a_backup_on_another_computer(launch, tmp_path):
    # A wallet with a backup on the first "computer".
    first = launch(tmp_path / "one")
    visible(first, "screen-welcome")
    first.find_element(By.ID, "welcome-create").click()
    type_into(first, "create-passphrase", PASSPHRASE)
    type_into(first, "create-confirm", PASSPHRASE)
    first.find_element(By.ID, "create-submit").click()
    visible(first, "screen-wallet")
    first.find_element(By.ID, "nav-backup").click()
    # Type only once the backup screen is shown: keys sent earlier can be lost on a busy machine.
    visible(first, "backup-form")
    type_into(first, "backup-passphrase", BACKUP_PASSPHRASE)
    type_into(first, "backup-confirm", BACKUP_PASSPHRASE)
    first.find_element(By.ID, "backup-submit").click()
    visible(first, "backup-result")
    (backup,) = list((tmp_path / "one" / "backups").glob("*.backup"))

    # The second "computer" has no wallet: restore it there under a new passphrase.
    second = launch(tmp_path / "two")
    visible(second, "screen-welcome")
    second.find_element(By.ID, "welcome-restore").click()
    visible(second, "screen-restore")
    second.find_element(By.ID, "restore-file").send_keys(str(backup))
    type_into(second, "restore-backup-passphrase", "not the backup passphrase")
    type_into(second, "restore-passphrase", "saffron pylon whistle ember")
    type_into(second, "restore-confirm", "saffron pylon whistle ember")
    second.find_element(By.ID, "restore-submit").click()
    text_in(second, "restore-error", "backup passphrase does not open this backup")
    assert not (tmp_path / "two" / "wallet" / "wallet.vault").exists()
    screenshot(second, "13-restore-wrong-backup-passphrase")

    type_into(second, "restore-backup-passphrase", BACKUP_PASSPHRASE)
    second.find_element(By.ID, "restore-submit").click()
    visible(second, "screen-wallet")
    visible(second, "credentials-empty")
    assert (tmp_path / "two" / "wallet" / "wallet.vault").exists()
    screenshot(second, "14-restored")

    # The restored wallet opens with the new passphrase, not the old one.
    second.find_element(By.ID, "lock-now").click()
    visible(second, "screen-unlock")
    type_into(second, "unlock-passphrase", PASSPHRASE + Keys.ENTER)
    text_in(second, "unlock-error", "doesn't open it")
    type_into(second, "unlock-passphrase", "saffron pylon whistle ember" + Keys.ENTER)
    visible(second, "screen-wallet")


def seed_wallet(home):
    """A wallet holding a real issuer-signed age credential and two history entries, written
    with the wallet library (desktop/examples/seed_vault.rs) before the app starts."""
    seed = pathlib.Path(APP).parent / "examples" / "seed_vault"
    subprocess.run(
        [str(seed), str(home / "wallet" / "wallet.vault")],
        env=dict(os.environ, WALLET_PASSPHRASE=PASSPHRASE),
        check=True,
    )


def test_credentials_their_details_and_the_history(launch, tmp_path):
    home = tmp_path / "seeded"
    seed_wallet(home)
    app = launch(home)
    visible(app, "screen-unlock")
    assert focused_id(app) == "unlock-passphrase"
    type_into(app, "unlock-passphrase", PASSPHRASE + Keys.ENTER)

    # The card: type, issuer, status and dates.
    card = wait(app).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "#credential-list .card"))
    )
    assert "Age credential" in card.text
    assert "Valid" in card.text
    assert "Issued" in card.text and "Expires" in card.text
    assert app.find_element(By.ID, "credentials-empty").is_displayed() is False
    screenshot(app, "15-credentials")

    # The detail view lists the claims in words.
    card.click()
    text_in(app, "credential-title", "Age credential")
    claims = app.find_element(By.ID, "credential-claims").text
    for expected in ["First name", "Erika", "Last name", "Mustermann", "Date of birth",
                     "1990-01-31", "Over 18", "Over 21", "Yes"]:
        assert expected in claims, expected
    assert "cnf" not in claims and "vct" not in claims
    screenshot(app, "16-credential-detail")

    # History: shared with one verifier (what was shared and kept private), declined another.
    app.find_element(By.ID, "nav-history").click()
    entries = wait(app).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#history-list > li") or False
    )
    assert len(entries) == 2
    declined, sent = entries  # newest first
    assert declined.get_attribute("data-outcome") == "declined"
    assert "Declined a request from bar.example.org" in declined.text
    assert "nothing was sent" in declined.text
    assert sent.get_attribute("data-outcome") == "sent"
    assert "Shared with shop.example.com" in sent.text
    assert "Over 21" in sent.text
    assert "Kept private" in sent.text and "Date of birth" in sent.text
    screenshot(app, "17-history")


def test_a_link_the_app_is_opened_with_goes_to_its_screen_after_unlocking(launch, tmp_path):
    # On Linux a clicked openid-credential-offer:// link starts the app with the link as its
    # only argument (the .desktop handler's %u).
    app = launch(tmp_path / "link", args=[OFFER_BY_VALUE])
    visible(app, "screen-welcome")
    app.find_element(By.ID, "welcome-create").click()
    type_into(app, "create-passphrase", PASSPHRASE)
    type_into(app, "create-confirm", PASSPHRASE)
    app.find_element(By.ID, "create-submit").click()
    # Shown, not accepted: the offer screen waits for the holder.
    text_in(app, "offer-title", "issuer.example.com offers you a credential")
    visible(app, "offer-accept")
    assert app.find_elements(By.CSS_SELECTOR, "#credential-list li") == []
    screenshot(app, "18-opened-by-link")


ISSUER_ADMIN_TOKEN = "desktop-e2e-issuer-admin-token-0123456789abcdef"
VERIFIER_ADMIN_TOKEN = "desktop-e2e-verifier-admin-token-0123456789"
# The person the issuer knows: over 21 whatever the date.
ERIKA = {"given_name": "Erika", "family_name": "Mustermann", "birth_date": "1990-01-31"}
# The liquor store's query: `age_over_21` of an SD-JWT VC, and only `true`.
AGE_OVER_21_QUERY = {
    "credentials": [
        {"id": "age", "format": "dc+sd-jwt",
         "claims": [{"path": ["age_over_21"], "values": [True]}]}
    ]
}


def http_json(method, url, token=None, body=None):
    """(status, JSON body) of one request; HTTP errors are answers, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class Service:
    """One of the real service binaries on a free loopback port with its own data directory,
    its output in `<artifacts>/<name>.log`; stopped (and reaped) by `stop`."""

    def __init__(self, name, program, args, env, port=None):
        self.name, self.log_path = name, ARTIFACTS / f"{name}.log"
        for _ in range(3):
            chosen = port or free_port()
            self.base = f"http://127.0.0.1:{chosen}"
            log = open(self.log_path, "a")
            self.process = subprocess.Popen(
                [program] + [a.replace("{port}", str(chosen)) for a in args],
                env=dict(os.environ, RUST_LOG="info", **env),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
            log.close()
            if self.wait_healthy():
                return
            self.stop()
            if port is not None:
                break
        raise RuntimeError(f"{name} did not become healthy; see {self.log_path}")

    def wait_healthy(self):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Services:
    """The real `issuer` (State ID Office) and `verifier` (the liquor store trusting it), as
    the wallet's scenario test starts them (wallet/tests/scenario): separate processes on free
    loopback ports, temporary data directories, admin tokens in the environment."""

    def __init__(self, root):
        root.mkdir(parents=True, exist_ok=True)
        key_file = root / "issuer.key"
        subprocess.run([ISSUER, "key-file", str(key_file)], check=True, capture_output=True)
        self.issuer = Service(
            "issuer", ISSUER,
            ["serve", "--demo", "--listen", "127.0.0.1:{port}", "--data", str(root / "issuer"),
             "--key-file", str(key_file), "--name", "State ID Office"],
            {"ISSUER_ADMIN_TOKEN": ISSUER_ADMIN_TOKEN},
        )
        self.verifier = None
        try:
            status, identity = http_json("GET", self.issuer.base + "/admin/identity",
                                         ISSUER_ADMIN_TOKEN)
            assert status == 200, identity
            self.issuer_did = identity["did"]
            self.verifier = Service(
                "verifier", VERIFIER,
                ["serve", "--listen", "127.0.0.1:{port}", "--data", str(root / "verifier"),
                 "--trust-issuer", self.issuer_did,
                 "--issuer-name", f"{self.issuer_did}=State ID Office",
                 # The issuer's status lists are on loopback here.
                 "--dangerous-allow-loopback"],
                {"VERIFIER_ADMIN_TOKEN": VERIFIER_ADMIN_TOKEN},
            )
        except BaseException:
            self.stop()
            raise

    def offer(self, claims):
        """The issuer's operator offers a proof-of-age credential with a transaction code;
        returns the offer's id, its link and the code (given to the holder separately)."""
        status, offer = http_json("POST", self.issuer.base + "/admin/offers", ISSUER_ADMIN_TOKEN, {
            "credential_configuration_id": "proof_of_age_sd_jwt",
            "claims": claims,
            "tx_code": {"length": 6, "description": "Sent to you by text message"},
        })
        assert status == 201, offer
        return offer["id"], offer["offer_uri"], offer["tx_code"]

    def credentials(self):
        """What the issuer issued (`GET /admin/credentials`: ids, offers, states)."""
        status, listed = http_json("GET", self.issuer.base + "/admin/credentials",
                                   ISSUER_ADMIN_TOKEN)
        assert status == 200, (status, listed)
        return listed["credentials"]

    def offer_state(self, offer_id):
        status, offer = http_json("GET", f"{self.issuer.base}/admin/offers/{offer_id}",
                                  ISSUER_ADMIN_TOKEN)
        assert status == 200, offer
        return offer

    def request(self):
        """The liquor store asks for `age_over_21`; returns the request's id and link."""
        status, created = http_json(
            "POST", self.verifier.base + "/presentation-requests", VERIFIER_ADMIN_TOKEN, {
                "dcql_query": AGE_OVER_21_QUERY,
                "trusted_issuers": [self.issuer_did],
                "formats": ["dc+sd-jwt"],
                "required_claims": [{"path": ["age_over_21"], "equals": True}],
                "max_credential_age_secs": 31_536_000,
            })
        assert status == 201, created
        return created["id"], created["request_uri"]

    def outcome(self, request_id):
        """What the liquor store knows about a request."""
        status, view = http_json("GET", f"{self.verifier.base}/presentation-requests/{request_id}")
        assert status == 200, view
        return view

    def stop(self):
        for service in (self.verifier, self.issuer):
            if service is not None:
                service.stop()


@pytest.fixture
def services(tmp_path):
    running = Services(tmp_path / "services")
    yield running
    running.stop()


def test_receive_from_the_real_issuer_then_decline_and_share_with_the_real_verifier(
        launch, services, tmp_path):
    """A new wallet receives an age credential from the real issuer (a wrong transaction code
    refused, the right one accepted), declines the real verifier's request (which then has
    nothing) and shares `age_over_21` with another (which the verifier reports verified, with
    exactly that claim); the app's history shows both."""
    # A new wallet, allowed plain http to this computer only (where the services are).
    app = launch(tmp_path / "real", DISCLOSE_ALLOW_HTTP_LOOPBACK="1")
    visible(app, "screen-welcome")
    app.find_element(By.ID, "welcome-create").click()
    type_into(app, "create-passphrase", PASSPHRASE)
    type_into(app, "create-confirm", PASSPHRASE)
    app.find_element(By.ID, "create-submit").click()
    visible(app, "credentials-empty")

    # ---- Receive: the issuer's operator offers Erika an age credential with a code.
    offer_id, offer_link, code = services.offer(ERIKA)
    app.find_element(By.ID, "nav-open").click()
    type_into(app, "open-link", offer_link)
    app.find_element(By.ID, "open-submit").click()
    text_in(app, "offer-title", "offers you a credential")
    visible(app, "offer-code-field")
    assert "Sent to you by text message" in app.find_element(By.ID, "offer-code-hint").text
    assert services.offer_state(offer_id)["state"] == "pending", "nothing redeemed yet"
    screenshot(app, "19-real-offer")

    # A wrong code: the issuer refuses; the offer stays open for another try.
    wrong = ("1" if code[0] != "1" else "2") + code[1:]
    type_into(app, "offer-code", wrong)
    app.find_element(By.ID, "offer-accept").click()
    text_in(app, "offer-error", "The issuer refused")
    assert services.offer_state(offer_id)["state"] == "pending"
    screenshot(app, "20-real-offer-code-refused")

    type_into(app, "offer-code", code)
    app.find_element(By.ID, "offer-accept").click()
    text_in(app, "result-title", "Added to your wallet")
    card = app.find_element(By.CSS_SELECTOR, "#result-cards .card")
    assert "Valid" in card.text, card.text
    screenshot(app, "21-real-received")
    assert services.offer_state(offer_id)["state"] == "issued"

    app.find_element(By.ID, "result-done").click()
    cards = wait(app).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#credential-list .card") or False
    )
    assert len(cards) == 1
    cards[0].click()
    claims = text_in(app, "credential-claims", "Over 21").text
    for expected in ["Erika", "Mustermann", "1990-01-31"]:
        assert expected in claims, (expected, claims)
    screenshot(app, "22-real-credential-detail")
    # Its status, asked of the issuer's status list now: valid.
    app.find_element(By.ID, "credential-check-status").click()
    text_in(app, "credential-status-answer", "Valid — checked just now")

    # ---- Decline: the liquor store asks; the holder says no; the store gets nothing.
    declined_id, declined_link = services.request()
    app.find_element(By.ID, "nav-open").click()
    type_into(app, "open-link", declined_link)
    app.find_element(By.ID, "open-submit").click()
    title = text_in(app, "consent-title", "asks to see some of your information")
    assert title.text.startswith("did:key:z6Mk"), title.text
    identity = app.find_element(By.ID, "consent-identity").text
    assert "decentralized identifier" in identity
    assert "identified only by a key, not by a website name" in identity
    card = app.find_element(By.CSS_SELECTOR, "#consent-credentials .consent-card")
    shared = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chips.shared li")]
    private = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chips.private li")]
    assert shared == ["Over 21"], shared
    assert sorted(private) == sorted(
        ["First name", "Last name", "Date of birth", "Over 18", "Over 65"]), private
    assert "127.0.0.1" in app.find_element(By.ID, "consent-destination").text
    screenshot(app, "23-real-consent")
    waiting = services.outcome(declined_id)
    assert waiting["state"] == "pending" and waiting["credentials"] == [], waiting

    app.find_element(By.ID, "consent-decline").click()
    text_in(app, "result-title", "Nothing was shared")
    screenshot(app, "24-real-declined")
    after_decline = services.outcome(declined_id)
    assert after_decline["state"] == "pending", after_decline
    assert after_decline["credentials"] == [] and after_decline["failed_checks"] == [], after_decline

    # ---- Share: a new request, approved; the store sees `age_over_21: true` and nothing else.
    shared_id, shared_link = services.request()
    app.find_element(By.ID, "nav-open").click()
    type_into(app, "open-link", shared_link)
    app.find_element(By.ID, "open-submit").click()
    text_in(app, "consent-title", "asks to see some of your information")
    app.find_element(By.ID, "consent-approve").click()
    text_in(app, "result-title", "Shared with")
    assert "received and accepted your answer" in app.find_element(By.ID, "result-text").text
    screenshot(app, "25-real-shared")
    verified = services.outcome(shared_id)
    assert verified["state"] == "verified", verified
    (presented,) = verified["credentials"]
    assert presented["issuer"] == services.issuer_did, presented
    assert presented["claims"] == {"age_over_21": True}, presented
    assert verified["failed_checks"] == [], verified
    # The declined request still got nothing.
    still = services.outcome(declined_id)
    assert still["state"] == "pending" and still["credentials"] == [], still

    # ---- The app's history: shared (Over 21 only) with the store, declined before that.
    app.find_element(By.ID, "nav-history").click()
    entries = wait(app).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#history-list > li") or False
    )
    assert [e.get_attribute("data-outcome") for e in entries] == ["sent", "declined"]
    sent, declined = entries
    assert "Shared with did:key:z6Mk" in sent.text, sent.text
    assert "Over 21" in sent.text and "Kept private" in sent.text, sent.text
    assert "Declined a request from did:key:z6Mk" in declined.text, declined.text
    assert "nothing was sent" in declined.text, declined.text
    screenshot(app, "26-real-history")

    # ---- Revocation: the issuer's operator revokes the credential; "Check status" says so.
    listed = services.credentials()
    (issued,) = [c for c in listed if c["offer_id"] == offer_id]
    status, revoked = http_json(
        "POST", f"{services.issuer.base}/admin/credentials/{issued['id']}/revoke",
        ISSUER_ADMIN_TOKEN)
    assert status == 200 and revoked["status"] == "revoked", (status, revoked)
    app.find_element(By.ID, "nav-credentials").click()
    cards = wait(app).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#credential-list .card") or False
    )
    cards[0].click()
    visible(app, "credential-check-status").click()
    text_in(app, "credential-status-answer", "Revoked by the issuer")
    text_in(app, "credential-status", "Revoked")
    screenshot(app, "27-real-revoked")
