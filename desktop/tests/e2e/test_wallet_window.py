"""End to end: the real app in a real window (WebKitGTK under Xvfb), driven through
WebDriver (tauri-driver + WebKitWebDriver), as a person would use it.

Started by desktop/scripts/test-desktop (with DISPLAY set to its Xvfb), which provides:
  DISCLOSE_E2E_APP           the disclose-wallet binary
  DISCLOSE_E2E_TAURI_DRIVER  the tauri-driver binary
  DISCLOSE_E2E_ARTIFACTS     where screenshots go

Each app runs with its own fresh wallet folder (WALLET_VAULT and DISCLOSE_BACKUP_DIR in a
temporary directory), through its own tauri-driver on free ports. Each screen is saved as a
PNG so a person can look at what the app shows.
"""

import http.server
import json
import os
import threading
import pathlib
import socket
import subprocess
import time
import urllib.parse

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
    field = driver.find_element(By.ID, element_id)
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


class StandInVerifier:
    """Serves one signed OpenID4VP request object and records every answer posted to it: a
    stand-in for the verifier service (signed by desktop/examples/request_link.rs with the
    shared credentials library) until the real service is used here."""

    def __init__(self):
        answers = self.answers = []
        verifier = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/request":
                    self.send_error(404)
                    return
                body = verifier.request_object.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/oauth-authz-req+jwt")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                answers.append((self.path, self.rfile.read(length).decode()))
                body = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.new_request()

    def new_request(self):
        maker = pathlib.Path(APP).parent / "examples" / "request_link"
        made = json.loads(subprocess.run([str(maker), self.base], check=True,
                                         capture_output=True, text=True).stdout)
        self.link, self.request_object = made["link"], made["request_object"]
        return self.link

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_consent_screen_decline_sends_nothing_approve_shares_only_what_was_asked(launch, tmp_path):
    verifier = StandInVerifier()
    try:
        home = tmp_path / "consent"
        seed_wallet(home)
        # Plain http to this computer only, for the stand-in verifier.
        app = launch(home, DISCLOSE_ALLOW_HTTP_LOOPBACK="1")
        visible(app, "screen-unlock")
        type_into(app, "unlock-passphrase", PASSPHRASE + Keys.ENTER)
        visible(app, "credential-list")

        # The consent screen names the verifier and lists exactly what is shared and kept.
        app.find_element(By.ID, "nav-open").click()
        type_into(app, "open-link", verifier.link)
        app.find_element(By.ID, "open-submit").click()
        title = text_in(app, "consent-title", "asks to see some of your information")
        assert title.text.startswith("did:key:z6Mk")
        identity = app.find_element(By.ID, "consent-identity").text
        assert "decentralized identifier" in identity
        assert "identified only by a key, not by a website name" in identity
        card = app.find_element(By.CSS_SELECTOR, "#consent-credentials .consent-card")
        shared = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chips.shared li")]
        private = [c.text for c in card.find_elements(By.CSS_SELECTOR, ".chips.private li")]
        assert shared == ["Over 21"]
        assert sorted(private) == sorted(["First name", "Last name", "Date of birth", "Over 18"])
        assert "127.0.0.1" in app.find_element(By.ID, "consent-destination").text
        assert verifier.answers == [], "nothing is sent while the holder decides"
        screenshot(app, "18-consent")

        # Decline: nothing reaches the verifier.
        app.find_element(By.ID, "consent-decline").click()
        text_in(app, "result-title", "Nothing was shared")
        screenshot(app, "19-declined")
        assert verifier.answers == []

        # A new request, approved: exactly one answer, carrying age_over_21 only.
        app.find_element(By.ID, "nav-open").click()
        type_into(app, "open-link", verifier.new_request())
        app.find_element(By.ID, "open-submit").click()
        text_in(app, "consent-title", "asks to see some of your information")
        app.find_element(By.ID, "consent-approve").click()
        text_in(app, "result-title", "Shared with")
        screenshot(app, "20-shared")
        assert len(verifier.answers) == 1
        path, form = verifier.answers[0]
        assert path == "/response"
        fields = urllib.parse.parse_qs(form)
        vp_token = json.loads(fields["vp_token"][0])
        (presentation,) = vp_token["age"]
        disclosures = presentation.split("~")[1:-1]
        revealed = [json.loads(base64url_decode(d))[1] for d in disclosures]
        assert revealed == ["age_over_21"], revealed

        # Both are in the history, newest first.
        app.find_element(By.ID, "nav-history").click()
        entries = wait(app).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#history-list > li") or False
        )
        outcomes = [e.get_attribute("data-outcome") for e in entries]
        assert outcomes[:2] == ["sent", "declined"], outcomes
    finally:
        verifier.close()


def base64url_decode(text):
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
    screenshot(app, "21-opened-by-link")


class StandInIssuer:
    """An OpenID4VCI issuer (pre-authorized code with a transaction code, nonce endpoint,
    credential endpoint) in a few lines of HTTP server; the credential itself is issued by
    desktop/examples/issue_credential.rs with the shared credentials library. Stands in for
    the issuer service until that is used here."""

    TX_CODE = "4921"

    def __init__(self):
        self.requests = []
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                issuer.requests.append(("GET", self.path))
                if self.path == "/.well-known/openid-credential-issuer":
                    self.reply(200, {
                        "credential_issuer": issuer.base,
                        "credential_endpoint": issuer.base + "/credential",
                        "nonce_endpoint": issuer.base + "/nonce",
                        "credential_configurations_supported": {
                            "AgeCredential": {
                                "format": "dc+sd-jwt",
                                "vct": "https://credentials.example.com/AgeCredential",
                            }
                        },
                    })
                elif self.path == "/.well-known/oauth-authorization-server":
                    self.reply(200, {"issuer": issuer.base, "token_endpoint": issuer.base + "/token"})
                else:
                    self.reply(404, {"error": "not_found"})

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                issuer.requests.append(("POST", self.path))
                if self.path == "/token":
                    form = urllib.parse.parse_qs(body)
                    if form.get("tx_code") != [StandInIssuer.TX_CODE]:
                        self.reply(400, {"error": "invalid_grant"})
                    else:
                        self.reply(200, {"access_token": "stand-in-token", "token_type": "Bearer"})
                elif self.path == "/nonce":
                    self.reply(200, {"c_nonce": "stand-in-nonce"})
                elif self.path == "/credential":
                    proof = json.loads(body)["proofs"]["jwt"][0]
                    header = json.loads(base64url_decode(proof.split(".")[0]))
                    maker = pathlib.Path(APP).parent / "examples" / "issue_credential"
                    credential = subprocess.run(
                        [str(maker), json.dumps(header["jwk"])],
                        check=True, capture_output=True, text=True,
                    ).stdout.strip()
                    self.reply(200, {"credentials": [{"credential": credential}]})
                else:
                    self.reply(404, {"error": "not_found"})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        offer = {
            "credential_issuer": self.base,
            "credential_configuration_ids": ["AgeCredential"],
            "grants": {
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "stand-in-code",
                    "tx_code": {"input_mode": "numeric", "length": 4,
                                "description": "Sent to you by text message"},
                }
            },
        }
        self.link = "openid-credential-offer://?credential_offer=" + urllib.parse.quote(
            json.dumps(offer), safe="")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_receive_an_age_credential_with_a_transaction_code(launch, tmp_path):
    issuer = StandInIssuer()
    try:
        app = launch(tmp_path / "receive", DISCLOSE_ALLOW_HTTP_LOOPBACK="1")
        visible(app, "screen-welcome")
        app.find_element(By.ID, "welcome-create").click()
        type_into(app, "create-passphrase", PASSPHRASE)
        type_into(app, "create-confirm", PASSPHRASE)
        app.find_element(By.ID, "create-submit").click()
        visible(app, "credentials-empty")

        app.find_element(By.ID, "nav-open").click()
        type_into(app, "open-link", issuer.link)
        app.find_element(By.ID, "open-submit").click()
        text_in(app, "offer-title", "127.0.0.1")
        assert issuer.requests == [], "opening an offer by value contacts nobody"

        # A wrong code: the issuer refuses; the offer stays open for another try.
        type_into(app, "offer-code", "1111")
        app.find_element(By.ID, "offer-accept").click()
        text_in(app, "offer-error", "The issuer refused")
        screenshot(app, "22-offer-code-refused")

        type_into(app, "offer-code", StandInIssuer.TX_CODE)
        app.find_element(By.ID, "offer-accept").click()
        text_in(app, "result-title", "Added to your wallet")
        card = app.find_element(By.CSS_SELECTOR, "#result-cards .card")
        assert "Age credential" in card.text and "Valid" in card.text
        screenshot(app, "23-received")

        app.find_element(By.ID, "result-done").click()
        cards = wait(app).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#credential-list .card") or False
        )
        assert len(cards) == 1
        cards[0].click()
        claims = text_in(app, "credential-claims", "Over 21").text
        assert "Erika" in claims and "1990-01-31" in claims
    finally:
        issuer.close()
