"""A whole planning round in a real headless Chromium (Debian's ``chromium`` and ``chromedriver``,
nothing downloaded) against a real uvicorn server on a fresh SQLite database, at phone size
(390 × 844): the facilitator sets up the federation from a YAML file, imports the members from a
CSV file, invites a member and opens a round; the member sets her password, files proposals,
reads the draft with its charts, reaches the ballot's submit button with the keyboard, casts her
ballot and reads her receipt; the facilitator closes the vote; the member reads the result and
finds her ballot by its receipt.  After the vote (a round put in place as tests/fixtures.py
does): a member's hours page and the alerts page, and the workplace's hours, report form and
ledger, at the same size, with no console errors; the period's ledger with its
reconciliation ("Do the reports add up?") at the same size; and the dashboard of a
running plan with its charts drawn.

Screenshots go to ``tmp_path/screenshots`` and, when ``$COMMONPLAN_SCREENSHOTS`` names a
directory, there too.  Without ``/usr/bin/chromium`` the test is skipped, except under
``CI=true``, where it must run (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from commonplan import accounts as auth
from commonplan.accounts import _hashing
from commonplan.economy.io import demo_economy
from commonplan.federation import add_members
from commonplan.monitor.alerts import raise_alert
from commonplan.web import Settings, create_app
from commonplan.web.text import t, translator
from commonplan.work import HoursRow, record_hours
from fixtures import after_the_vote, leap_reports, monitored_plan
from server_support import serve as _serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 390, 844
IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1"}

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not IN_CI:
    pytest.skip(
        f"{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver); "
        "under CI=true this test runs",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

FEDERATION = """\
name: Lakeside
level: commune
economy: demo
people_per_member: 1
default_hours: 1600
floors:
  - {product: C10T12, per_person: 0.01, need: food}
rounds: {collective_share: 0.2, quorum: 0.5, threshold: 0.5}
councils:
  - {name: Lakeside bakery, kind: workers, processes: [C10T12]}
  - {name: Lakeside east, kind: consumers}
"""
MEMBERS = "handle,name,workers_council,consumers_council\nmia,Mia,Lakeside bakery,Lakeside east\n"
FISH = "All_the_fish_of_the_lake_for_the_whole_neighbourhood_every_single_year"
"""A proposal's title with no space to break it at."""
PASSWORDS = {
    "ada": "ada's long password",
    "mia": "mia's long password",
    "farmerL": "farmer's long password",
}


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """uvicorn in a thread on a free port, on a fresh SQLite database with facilitator ``ada``
    (made as the ``commonplan serve`` bootstrap says); yields the base URL."""
    monkeypatch.setattr(
        _hashing, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    app = create_app(f"sqlite:///{tmp_path / 'site.db'}", settings=Settings())
    add_members(app.state.db, [{"handle": "ada", "name": "Ada", "role": "facilitator"}])
    auth.set_password(app.state.db, "ada", PASSWORDS["ada"])
    yield from _serve(app)


@pytest.fixture
def ratified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The site on a fresh SQLite database with federation L of tests/fixtures.py, its round
    ratified with two plans, hours recorded for ``farmerL`` and an alert for Farm L; yields
    the base URL and :func:`after_the_vote`'s ids with the database (``"db"``)."""
    monkeypatch.setattr(
        _hashing, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    app = create_app(f"sqlite:///{tmp_path / 'site.db'}", settings=Settings())
    db = app.state.db
    made = after_the_vote(db, "L", lambda handle: PASSWORDS.get(handle, handle * 3))
    rows = [
        HoursRow(member="farmerL", period="2027-01", hours=120, workplace="Farm L"),
        HoursRow(member="farmerL", period="2027-01", hours=8, credit="care"),
    ]
    record_hours(db, made["round"], rows, actor="facilitatorL")
    raise_alert(
        db,
        made["round"],
        source="screen",
        kind="heaping",
        council="Farm L",
        period="2027-01",
        message="Farm L reports round numbers every month",
    )
    for base in _serve(app):
        yield base, {**made, "db": db}


@pytest.fixture
def driver() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={WIDTH},{HEIGHT}",
        "--lang=en-GB",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True},
    )
    d.set_page_load_timeout(20)
    try:
        yield d
    finally:
        d.quit()


class Visit:
    """The browser on the site: go to pages, submit forms, take screenshots."""

    def __init__(self, d: webdriver.Chrome, base: str, shots: list[Path]) -> None:
        self.d, self.base, self.shots = d, base, shots
        self.width = WIDTH
        self.taken: list[str] = []

    def go(self, path: str) -> None:
        self.d.get(self.base + path)
        self.fits()

    def find(self, css: str) -> WebElement:
        return self.d.find_element(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return str(self.find("main").text)

    def submit(self, button: WebElement) -> None:
        """Click a form's button and wait for the next page."""
        old = self.find("html")
        button.click()
        WebDriverWait(self.d, 20).until(lambda _: _gone(old))
        self.fits()

    def alert(self) -> str | None:
        found = self.d.find_elements(By.CSS_SELECTOR, '[role="alert"]')
        return str(found[0].text) if found else None

    def fits(self) -> None:
        """No page scrolls sideways (at phone width, or the window's), and axe-core finds nothing
        on it."""
        wide, window = self.d.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert wide <= window, f"{self.d.current_url} is {wide} px wide at {window} px"
        found = axe_violations(self.d)
        assert found == [], (self.d.current_url, found)

    @contextlib.contextmanager
    def screen(self, width: int, height: int) -> Iterator[None]:
        """The browser at another screen size (a desktop's), then the phone's again."""
        self.d.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.width = width
        try:
            yield
        finally:
            self.width = WIDTH
            self.d.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True},
            )

    def shot(self, name: str) -> None:
        for directory in self.shots:
            directory.mkdir(parents=True, exist_ok=True)
            assert self.d.save_screenshot(str(directory / f"{name}.png"))
        self.taken.append(name)

    def import_members(self, members: Path) -> str:
        """Import ``members`` (a CSV) into the federation the page just set up; its id."""
        found = re.search(r"served-(\d+)", self.d.page_source)
        assert found is not None
        fed = found[1]
        self.d.find_element(
            By.XPATH, f"//input[@id='members-{fed}']/ancestor::details/summary"
        ).click()
        self.find(f"#members-{fed}").send_keys(str(members))
        self.submit(self.find(f"#import-{fed}"))
        assert t("done.members_added") in self.text(), self.alert()
        return fed

    def sign_in(self, handle: str) -> None:
        self.d.delete_all_cookies()
        self.go("/sign-in")
        box = self.find("#handle")
        box.clear()
        box.send_keys(handle)
        self.find("#password").send_keys(PASSWORDS[handle])
        self.submit(self.find("main form button[type=submit]"))
        assert self.alert() is None, self.alert()

    def task(self, ending: str) -> None:
        """Follow the home page's link to what is asked now; it must end in ``ending``."""
        self.go("/")
        links = [a for a in self.d.find_elements(By.CSS_SELECTOR, ".tasks a")]
        hrefs = [str(a.get_attribute("href")) for a in links]
        assert any(h.endswith(ending) for h in hrefs), (ending, hrefs)
        self.go(next(h for h in hrefs if h.endswith(ending)).replace(self.base, ""))

    def step(self, css: str) -> None:
        """A facilitator's step from /facilitate, confirmed where it asks first; it must
        succeed."""
        self.go("/facilitate")
        self.submit(self.find(css))
        if self.d.find_elements(By.CSS_SELECTOR, "#confirm"):
            self.submit(self.find("#confirm"))
        assert self.alert() is None, self.alert()


def test_a_round_in_chromium_at_phone_size(
    server: str, driver: webdriver.Chrome, tmp_path: Path
) -> None:
    started = time.monotonic()
    shots = screenshot_dirs(tmp_path)
    b = Visit(driver, server, shots)
    files = tmp_path / "upload"
    files.mkdir()
    (files / "lakeside.yaml").write_text(FEDERATION)
    (files / "members.csv").write_text(MEMBERS)

    # the facilitator: sign in, set up the federation, import and invite, open a round
    b.go("/")
    assert driver.current_url.endswith("/sign-in?next=%2F")
    b.shot("01-sign-in")
    b.sign_in("ada")
    b.go("/facilitate")
    b.find("#setup-form + details summary").click()  # the description file, beside the form
    b.find("#description-file").send_keys(str(files / "lakeside.yaml"))
    b.submit(b.find("#setup"))
    assert t("done.federation_created") in b.text(), b.alert()
    fed = b.import_members(files / "members.csv")
    b.find("#invite-handle").send_keys("mia")
    b.submit(b.find("#invite"))
    link = b.find("#invitation-link").text
    assert link.startswith("/invitation#")  # the token in the fragment, never sent to a server
    b.submit(b.find(f"#open-round-{fed}"))
    assert t("done.round_opened") in b.text(), b.alert()
    b.shot("02-facilitate")

    # the member: set her password, sign in, file proposals
    driver.delete_all_cookies()
    b.go(link)
    assert not b.find("#token").is_displayed()  # the page took the token from the fragment
    assert "#" not in driver.current_url  # and took it out of the address bar
    b.find("#password").send_keys(PASSWORDS["mia"])
    b.find("#again").send_keys(PASSWORDS["mia"])
    b.submit(b.find("main form button[type=submit]"))
    assert t("done.password_set") in b.text()
    assert b.find("#handle").get_attribute("value") == "mia"
    b.sign_in("mia")
    assert t("home.title", name="Mia") in b.text() and t("home.ask.file") in b.text()
    b.shot("03-home")
    b.task("/proposals")
    economy = demo_economy()
    for kind, title, amounts in (
        (t("kind.target"), "Bread and rent", {"C10T12": "2", "L68B": "3"}),
        (t("kind.collective"), "A lakeside sauna", {"R93": "0.1"}),
        (t("kind.target"), FISH, {"A03": "900"}),  # a long title wraps on a phone
    ):
        chosen = t("proposal.what", council="Lakeside east", kind=kind)
        b.submit(driver.find_element(By.LINK_TEXT, chosen))  # a form for what she proposes
        b.find("#title").send_keys(title)
        for k, (code, amount) in enumerate(amounts.items(), start=1):
            b.find(f"#product_{k}").send_keys(economy.label(economy.product_index(code)))
            b.find(f"#amount_{k}").send_keys(amount)
        if kind == t("kind.collective"):  # the cost before filing
            b.submit(b.find("button[name=step][value=check]"))
            assert b.alert() is None, b.alert()
            assert b.find("#cost").text.startswith("This would take"), b.find("#cost").text
            b.shot("04-cost")
        b.submit(b.find("button[name=step][value=file]"))
        assert t("done.filed") in b.text(), b.alert()
    assert "Bread and rent" in b.text() and "A lakeside sauna" in b.text()
    proposals = driver.current_url.split("?")[0].replace(server, "")
    amend = driver.find_element(By.XPATH, f"//h3[text()='{FISH}']/ancestor::article//a")
    b.go(str(amend.get_attribute("href")).replace(server, ""))  # its long title in the heading
    assert b.find("h1").text == t("amend.title", title=FISH)
    assert b.find("#product_1").get_attribute("value") == economy.label(
        economy.product_index("A03")
    )

    # the facilitator withdraws a council's proposal, saying why; then computes the draft
    b.sign_in("ada")
    b.go(proposals)
    fish = driver.find_element(By.XPATH, f"//h3[text()='{FISH}']/ancestor::article")
    fish.find_element(By.CSS_SELECTOR, "details.withdraw summary").click()
    why = "The lake cannot give 900 million SEK of fish; file a smaller target"
    fish.find_element(By.CSS_SELECTOR, "textarea[name=reason]").send_keys(why)
    b.fits()
    b.shot("05-withdraw")
    b.submit(fish.find_element(By.CSS_SELECTOR, "details.withdraw button[type=submit]"))
    assert t("done.withdrawn") in b.text(), b.alert()
    b.step("[id^=step-draft-]")
    b.sign_in("mia")
    b.go(proposals)  # she reads who withdrew it and why
    said = t(
        "proposal.withdrawn_why",
        title=FISH,
        council="Lakeside east",
        handle="ada",
        reason=why,
    )
    assert said in b.text() and t("proposals.withdrawn") in b.text()
    b.shot("06-withdrawn")
    b.task("/plan")
    assert t("plan.for_you", plan=t("plan.name.draft")) in b.text()
    assert t("plan.for_all") in b.text() and b.find("#your-hours").is_displayed()
    assert not re.search(r"\d\.\d+e[+-]\d+", b.text())
    scroll_through_charts(driver)  # plotly.js loads when a chart comes near the screen
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plot .main-svg")) >= 2
    )
    # on a phone the largest flows are a ranked list, not a Sankey diagram too wide to read
    assert b.find("#ranked-flows").is_displayed() and not b.find("#chart-flows").is_displayed()
    b.fits()
    assert not console_errors(driver)  # plotly draws within the Content-Security-Policy
    assert not elsewhere(driver, server)  # plotly.js from the package, no outside host
    b.shot("07-draft")
    per_person = b.find("#per-person")  # what each person of her neighbourhood gets, by name
    driver.execute_script("arguments[0].scrollIntoView()", per_person)
    assert per_person.is_displayed() and "SEK" in per_person.text
    assert not re.search(r"\d\.\d+e[+-]\d+", per_person.text)
    b.shot("07-per-person")
    b.submit(b.find('footer a[lang="sv"]'))  # the same in Swedish: kronor, Swedish numbers
    sv = translator("sv")
    assert b.find("html").get_attribute("lang") == "sv"
    per_person = b.find("#per-person")
    driver.execute_script("arguments[0].scrollIntoView()", per_person)
    assert sv("plan.person.title", council="Lakeside east") in b.text()
    assert "i dag" in per_person.text and "SEK" in per_person.text
    b.fits()
    b.shot("07-per-person-sv")
    b.submit(b.find('footer a[lang="en"]'))
    assert b.find("html").get_attribute("lang") == "en"
    for n, key in ((8, "chart-fulfilment"), (9, "chart-caps"), (10, "ranked-flows")):
        driver.execute_script(f"document.getElementById('{key}').scrollIntoView()")
        b.shot(f"{n:02d}-{key}")
    b.go(proposals)  # her proposals fit the phone too
    assert "Bread and rent" in b.text()
    with b.screen(1280, 800):  # on a desktop: the Sankey diagram, the ranked list hidden
        for path in (proposals, proposals.replace("/proposals", "/plan")):
            b.go(path)
        scroll_through_charts(driver)
        WebDriverWait(driver, 20).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plot .main-svg")) >= 3
        )
        assert not b.find("#ranked-flows").is_displayed()
        b.fits()
    assert not console_errors(driver)

    # the vote: the keyboard reaches the submit button; the running total updates
    b.sign_in("ada")
    b.step("[id^=step-vote-]")
    b.sign_in("mia")
    b.task("/vote")
    keys = ActionChains(driver)  # from a fresh page: focus starts at the document
    keys.send_keys(Keys.TAB).perform()
    first = driver.switch_to.active_element
    assert first.get_attribute("class") == "skip", first.get_attribute("outerHTML")
    reached = False
    for _ in range(60):
        keys.send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == "cast":
            reached = True
            break
    assert reached, "TAB never reached the ballot's submit button"
    outline = driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows no outline"
    running = b.find(".running output")
    assert running.text and "0" in running.text  # the script shows the running total
    box = b.find("input[type=checkbox][data-cost]")
    box.send_keys(Keys.SPACE)
    assert box.is_selected() and running.text != "0"
    b.find("input[type=radio][value=yes]").send_keys(Keys.SPACE)
    b.shot("11-ballot")
    b.submit(b.find("#cast"))
    receipt = b.find("#receipt-code").text
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", receipt), receipt
    assert t("receipt.keep") in b.text()
    b.shot("12-receipt")

    # the facilitator closes; the member reads the result and finds her ballot
    b.sign_in("ada")
    b.step("[id^=step-close-]")
    b.sign_in("mia")
    b.task("/result")
    assert t("result.ratified") in b.text()
    assert b.find("#chosen").text == "A lakeside sauna"
    b.shot("13-result")
    b.go("/board/find")
    b.find("#receipt").send_keys(receipt)
    b.submit(b.find("main form button[type=submit]"))
    found = b.text()
    assert t("find.found", receipt=receipt) in found
    assert t("find.approve", titles="A lakeside sauna") in found
    assert t("find.ratify", vote=t("vote.ratify.yes")) in found
    b.shot("14-found")

    # she changes her password; every session ends, she signs in with the new one
    b.go("/account/password")
    b.find("#current").send_keys(PASSWORDS["mia"])
    for field in ("#password", "#again"):
        b.find(field).send_keys("mia's new and longer password")
    b.shot("15-password")
    b.submit(b.find("main form button[type=submit]"))
    assert t("done.password_changed") in b.text(), b.alert()
    assert b.find("#handle").get_attribute("value") == "mia"
    b.go("/")
    assert "/sign-in" in driver.current_url  # this session ended too
    b.find("#handle").send_keys("mia")
    b.find("#password").send_keys("mia's new and longer password")
    b.submit(b.find("main form button[type=submit]"))
    assert t("home.title", name="Mia") in b.text(), b.alert()
    assert not console_errors(driver)

    for directory in shots:
        assert len(list(directory.glob("*.png"))) == len(b.taken) == 17
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"the browser round took {elapsed:.0f} s"


TEAM = "handle,name,workers_council,consumers_council\n" + "".join(
    f"hill{k},Hill {k},Hill dairy,Hill homes\n" for k in range(3)
)


def test_the_facilitator_pages_in_chromium(
    server: str, driver: webdriver.Chrome, tmp_path: Path
) -> None:
    """The facilitators' pages at 390 × 844 and at 1280 × 800 — the set-up form, invitations for
    many with their copy buttons, the member list, the timeline of a round and the confirmation
    before opening the vote — nothing scrolls sideways, nothing in the console."""
    shots = screenshot_dirs(tmp_path, "facilitators")
    b = Visit(driver, server, shots)
    (tmp_path / "team.csv").write_text(TEAM)
    b.sign_in("ada")
    b.go("/facilitate")
    b.find("#setup-name").send_keys("Hill")
    b.find("#setup-councils").send_keys("Hill dairy, workers, C10T12\nHill homes, consumers")
    b.find("#setup-floors").send_keys("C10T12, 0.01")
    b.submit(b.find("#setup-by-form"))
    assert t("done.federation_created") in b.text(), b.alert()
    fed = b.import_members(tmp_path / "team.csv")
    b.submit(b.find(f"#open-round-{fed}"))
    b.step("[id^=step-draft-]")
    for width, height in ((WIDTH, HEIGHT), (1280, 800)):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
        )
        b.go("/facilitate/invitations")
        b.find("#handles").send_keys(f"hill{width % 3}")
        b.submit(b.find("#invite-all"))
        assert t("invite_many.made", count=1) in b.text(), b.alert()
        copy = b.find("button[data-copy=link-1]")
        assert copy.is_displayed()  # the script shows it
        copy.click()
        b.shot(f"{width}-01-invitations")
        b.go(f"/facilitate/federations/{fed}/members")
        assert t("members.count", count=3) in b.text()
        b.shot(f"{width}-02-members")
        b.go("/facilitate")
        assert b.find(".timeline li.current").text.startswith(t("phase.feedback"))
        b.shot(f"{width}-03-facilitate")
        b.submit(b.find("[id^=step-vote-]"))
        assert t("confirm.vote", number=1, federation="Hill") in b.text()
        b.shot(f"{width}-04-confirm")
        b.submit(b.find("#back"))
        assert driver.current_url == server + "/facilitate"
        (rid, *_) = re.findall(r"/rounds/(\d+)/", driver.page_source)
        b.go(f"/rounds/{rid}/plan")
        assert b.find("ol.timeline") and "vote" not in [
            a.text.lower() for a in driver.find_elements(By.CSS_SELECTOR, ".round-nav a")
        ]
        b.shot(f"{width}-05-timeline")
        assert console_errors(driver) == []


def test_headers_and_no_csp_violation_in_chromium(server: str, driver: webdriver.Chrome) -> None:
    """Every page and the API docs under the Content-Security-Policy, with no console error
    (a blocked script or style is one); the headers as the browser received them."""
    import httpx

    from commonplan.web import guard

    for path in ("/sign-in", "/api/docs", "/favicon.ico", "/static/site.css", "/openapi.json"):
        r = httpx.get(server + path)
        assert r.status_code == 200, path
        for name, value in guard.HEADERS.items():
            assert r.headers[name] == value, (path, name)
    b = Visit(driver, server, [])
    console_errors(driver)
    b.go("/sign-in")
    b.go("/invitation#not-a-real-token")
    assert b.find("#token").get_attribute("value") == "not-a-real-token"
    driver.get(server + "/api/docs")  # Swagger UI from the package, drawn under the CSP
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 10
    )
    assert "commonplan" in driver.find_element(By.CSS_SELECTOR, ".swagger-ui .title").text
    errors = console_errors(driver)
    assert not errors, errors
    loaded = fetched(driver)
    assert any(url.endswith("swagger-ui-bundle.js") for url in loaded), loaded
    assert not elsewhere(driver, server)
    # a page of the site cannot be framed, not even by the site itself
    driver.get(server + "/sign-in")
    driver.execute_script(
        "var f = document.createElement('iframe'); f.id = 'framed'; f.src = '/sign-in';"
        "document.body.appendChild(f);"
    )
    time.sleep(1)
    framed = driver.execute_script(
        "try { return document.getElementById('framed').contentDocument.body.innerHTML.length; }"
        " catch (e) { return -1; }"
    )
    assert framed <= 0, framed  # refused (frame-ancestors 'none'): an empty or blocked frame
    console_errors(driver)  # (the refusal itself is logged)


AXE = Path(__file__).parent / "lighthouse" / "node_modules" / "axe-core" / "axe.min.js"
"""axe-core, pinned in tests/lighthouse/package.json (``npm ci --prefix tests/lighthouse``)."""
_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (r) => done(r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "))),
  (e) => done([`axe failed: ${e}`]));
"""


def axe_violations(d: webdriver.Chrome) -> list[str]:
    """What axe-core finds wrong on the page as it is now (every rule of WCAG 2 A/AA and best
    practice that axe runs by default)."""
    if not AXE.exists():
        assert not IN_CI, f"{AXE} is missing: npm ci --prefix tests/lighthouse"
        return []
    if not d.execute_script("return typeof window.axe !== 'undefined'"):
        d.execute_script(AXE.read_text(encoding="utf-8"))
    found: list[str] = d.execute_async_script(_AXE_RUN)
    return found


def screenshot_dirs(tmp_path: Path, sub: str = "") -> list[Path]:
    """Where a test's screenshots go: ``tmp_path/screenshots``, and ``$COMMONPLAN_SCREENSHOTS``
    (its ``sub`` folder) where that names a directory."""
    shots = [tmp_path / "screenshots"]
    if os.environ.get("COMMONPLAN_SCREENSHOTS"):
        shots.append(Path(os.environ["COMMONPLAN_SCREENSHOTS"]) / sub)
    return shots


def scroll_through_charts(d: webdriver.Chrome) -> None:
    """Bring every chart of the page into view in turn, as a reader scrolling down does."""
    for el in d.find_elements(By.CSS_SELECTOR, "[data-figure]"):
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        time.sleep(0.2)
    d.execute_script("window.scrollTo(0, 0);")


def fetched(d: webdriver.Chrome) -> list[str]:
    """Every script, style, image, font and request the browser fetched for the page."""
    loaded = d.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; })"
    )
    return [str(url) for url in loaded]


def elsewhere(d: webdriver.Chrome, base: str) -> list[str]:
    """What the page loaded from another host than the site."""
    return [url for url in fetched(d) if not url.startswith(base + "/")]


def console_errors(d: webdriver.Chrome) -> list[str]:
    """The browser console's errors since the last call."""
    return [str(e["message"]) for e in d.get_log("browser") if e["level"] == "SEVERE"]


def test_hours_and_alerts_in_chromium_at_phone_size(
    ratified: tuple[str, dict[str, Any]], driver: webdriver.Chrome, tmp_path: Path
) -> None:
    """A member's hours page and the alerts page at 390 × 844: nothing scrolls sideways, nothing
    in the console; she confirms one entry, disputes another, acknowledges and explains an
    alert."""
    base, made = ratified
    shots = screenshot_dirs(tmp_path, "after-the-vote")
    b = Visit(driver, base, shots)
    rid = made["round"]
    b.sign_in("farmerL")
    assert t("home.ask.alerts", count=1) in b.text()
    b.task(f"/rounds/{rid}/hours")
    text = b.text()
    assert "The ratified plan means" in text and "The alternative means" in text
    assert "2027-01: 120 h at Farm L" in text
    b.shot("01-my-hours")
    entries = [
        e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, "li[id^=entry-]")
    ]
    worked, care = entries
    b.submit(b.find(f"#{worked} form button"))
    assert t("done.confirmed") in b.text(), b.alert()
    b.find(f"#{care} details summary").click()
    b.find(f"#{care} textarea").send_keys("I was at work that week")
    b.submit(b.find(f"#{care} details form button"))
    assert t("done.disputed") in b.text(), b.alert()
    assert "I was at work that week" in b.text()
    b.fits()
    b.shot("02-my-hours-answered")
    assert console_errors(driver) == []

    b.go("/alerts")
    assert "Farm L reports round numbers every month" in b.text()
    assert t("alert.with_value", name="Farm L", level=0) in b.text()
    b.shot("03-alerts")
    b.submit(b.find("li[id^=alert-] form.inline button"))
    assert t("done.alert_acknowledge") in b.text(), b.alert()
    b.find("li[id^=alert-] details:nth-of-type(2) summary").click()
    note = b.find("textarea[id^=explain-]")
    note.send_keys("We weigh in whole tonnes")
    b.submit(b.find("form[action$='/explain'] button"))
    assert t("done.alert_explain") in b.text(), b.alert()
    assert t("alert.state.explained") in b.text()
    b.fits()
    b.shot("04-alerts-explained")
    b.go(f"/rounds/{rid}/workplace/hours")
    b.shot("05-workplace-hours")
    b.go(f"/rounds/{rid}/reports/file")
    Select(b.find("#product_1")).select_by_value("A01")
    b.find("#amount_1").send_keys("1200")
    b.shot("06-report-form")
    b.submit(b.find("form.rows button[type=submit]"))
    assert t("done.reported") in b.text(), b.alert()
    assert "Crop and animal production, hunting (A01)" in b.text()
    b.shot("07-ledger")
    assert console_errors(driver) == []


def test_the_pages_in_swedish_at_phone_size(
    ratified: tuple[str, dict[str, Any]], driver: webdriver.Chrome, tmp_path: Path
) -> None:
    """The language switch at 390 × 844: from the footer's "Svenska" the hours page comes back
    in Swedish (``<html lang="sv">``, Swedish numbers and plural), and so do the next pages —
    the alerts and the ledger — with nothing scrolling sideways and nothing in the console."""
    base, made = ratified
    shots = screenshot_dirs(tmp_path, "svenska")
    b = Visit(driver, base, shots)
    rid = made["round"]
    sv = translator("sv")
    b.sign_in("farmerL")
    b.go(f"/rounds/{rid}/hours")
    assert b.find("html").get_attribute("lang") == "en"
    b.submit(b.find('footer a[lang="sv"]'))
    assert b.find("html").get_attribute("lang") == "sv"
    assert driver.current_url == f"{base}/rounds/{rid}/hours"
    text = b.text()
    assert sv("hours.title", number=rid) in text and sv("hours.plan.final") in text
    assert sv("hours.entry_work", period="2027-01", hours="120 h", workplace="Farm L") in text
    assert b.find('footer a[aria-current="true"]').text == "Svenska"
    b.shot("01-mina-timmar")
    b.go("/alerts")
    assert b.find("html").get_attribute("lang") == "sv"
    assert sv("alerts.intro") in b.text()
    b.shot("02-larm")
    b.go(f"/rounds/{rid}/reports?period=2027-01")
    assert sv("reports.intro") in b.text()
    b.shot("03-rapporter")
    assert console_errors(driver) == []


def test_reconciliation_in_chromium_at_phone_size(
    ratified: tuple[str, dict[str, Any]], driver: webdriver.Chrome, tmp_path: Path
) -> None:
    """The period's ledger with its reconciliation block at 390 × 844: the verdict, the farm's
    own flag first, each workplace's figures, every screen opened; nothing scrolls sideways,
    nothing in the console."""
    base, made = ratified
    shots = screenshot_dirs(tmp_path, "after-the-vote")
    b = Visit(driver, base, shots)
    rid = made["round"]
    leap_reports(made["db"], rid, "L")
    b.sign_in("farmerL")
    b.go(f"/rounds/{rid}/reports?period=2027-01")
    text = b.text()
    assert t("reconcile.title") in text
    assert "No: the reports do not fit the balances" in text
    assert t("reconcile.suspect_yours") in text and "Farm L" in text
    assert "Crop and animal production, hunting (A01)" in text and "±" in text
    driver.execute_script("document.getElementById('reconciliation').scrollIntoView()")
    b.shot("08-reconciliation")
    b.find("#reconciliation details summary").click()
    driver.execute_script("document.querySelector('#reconciliation details').scrollIntoView()")
    b.fits()
    b.shot("09-reconciliation-screens")
    assert console_errors(driver) == []


def _gone(element: WebElement) -> bool:
    """The page ``element`` was on has been replaced.  Chromium answers a stale node with either
    StaleElementReferenceException or a generic "Node … does not belong to the document"."""
    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """Federation L with a solved final plan and five months reported, the mill a third short
    from April (tests/fixtures.py's ``monitored_plan``); yields the base URL and the round."""
    monkeypatch.setattr(
        _hashing, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    app = create_app(f"sqlite:///{tmp_path / 'site.db'}", settings=Settings())
    db = app.state.db
    made = after_the_vote(db, "L", lambda handle: PASSWORDS.get(handle, handle * 3))
    monitored_plan(db, made["round"], "L", months=5)
    for base in _serve(app):
        yield base, made["round"]


def test_the_dashboard_in_chromium_at_phone_size(
    running: tuple[str, int], driver: webdriver.Chrome, tmp_path: Path
) -> None:
    """The dashboard at 390 × 844: the ranked list and a chart per series drawn by plotly.js
    (no inline script for the CSP to block), nothing scrolls sideways, nothing in the console."""
    base, rid = running
    shots = screenshot_dirs(tmp_path, "after-the-vote")
    b = Visit(driver, base, shots)
    b.sign_in("farmerL")
    b.go(f"/rounds/{rid}/dashboard?through=2027-05")
    scroll_through_charts(driver)
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plot .main-svg")) >= 4
    )
    text = b.text()
    assert t("dashboard.ranked") in text and "Farm L" in text and "Mill L" in text
    b.fits()
    b.shot("08-dashboard")
    driver.execute_script("document.getElementById('ranked-heading').scrollIntoView()")
    b.shot("08-dashboard-ranked")
    driver.execute_script("document.getElementById('chart-watch-1').scrollIntoView()")
    b.shot("09-dashboard-chart")
    assert console_errors(driver) == []
    # the farm's own page: its series only, at the same size
    b.go(f"/rounds/{rid}/dashboard?council=Farm+L&through=2027-05")
    scroll_through_charts(driver)
    WebDriverWait(driver, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plot .main-svg")) >= 1
    )
    own = b.text()
    assert "Farm L" in own and "Mill L ·" not in own
    b.fits()
    b.shot("10-workplace")
    assert console_errors(driver) == []
