"""A real Chromium (Debian's `chromium`, driven by its `chromedriver` through Selenium)
against a real daphne (tests/servers.py, DEBUG=0) on the test database.

Nothing is downloaded at run time: Selenium is handed both binaries (`make browser`
installs them), and SE_OFFLINE keeps Selenium Manager from looking further.
Each page a test looks at is kept as a PNG under tests/artifacts/screenshots/."""

import os
import re
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from accounts.models import User
from tests.helpers import PASSWORD, STAFF_EMAIL

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
WAIT = 30  # seconds: the machine is shared and loaded


@pytest.fixture(scope="session")
def chromium():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: `make browser` installs Debian's chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000",
                     "--disable-gpu", "--no-first-run", "--disable-extensions", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


class Page:
    """The browser at `server`, seen as a person would: open a path, fill, click, read."""

    def __init__(self, driver, server, test_name):
        self.driver, self.server = driver, server
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.shots = 0
        for old in SCREENSHOTS.glob(f"{self.prefix}-[0-9][0-9]-*.png"):
            old.unlink()  # the folder holds the last run's pictures of each test

    def open(self, path):
        self.driver.get(self.server.url + path)
        return self

    def path(self):
        return self.driver.current_url.removeprefix(self.server.url)

    def find(self, css):
        return WebDriverWait(self.driver, WAIT).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def texts(self, css):
        return [element.text.strip() for element in self.all(css)]

    def text(self, css="body"):
        return self.find(css).text

    def visible(self, css):
        return WebDriverWait(self.driver, WAIT).until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def fill(self, css, value):
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def click(self, css):
        WebDriverWait(self.driver, WAIT).until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css))).click()

    def click_link(self, text):
        WebDriverWait(self.driver, WAIT).until(expected_conditions.element_to_be_clickable((By.LINK_TEXT, text))).click()

    def select(self, css, label):
        Select(self.find(css)).select_by_visible_text(label)

    def wait_for_text(self, text, css="body"):
        WebDriverWait(self.driver, WAIT).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))

    def style(self, css, prop):
        return self.find(css).value_of_css_property(prop)

    def shot(self, name):
        """Keep what the page looks like now (a test artifact; look at it)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        target = SCREENSHOTS / f"{self.prefix}-{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(target))
        return target

    def log_in(self, email=STAFF_EMAIL, password=PASSWORD):
        self.open("/admin/login/?next=/admin/")
        self.fill("#id_username", email)
        self.fill("#id_password", password)
        self.shot("login-filled")
        self.click('input[type="submit"]')

    def admin_messages(self):
        return self.texts("ul.messagelist li")

    def change_list_ids(self):
        """The primary keys of the change list's rows, in order (the ticked-box values)."""
        return [box.get_attribute("value") for box in self.all("#result_list input.action-select")]


@pytest.fixture
def page(chromium, server, request):
    try:
        chromium.delete_all_cookies()
    except WebDriverException:
        pass
    chromium.get("about:blank")
    return Page(chromium, server, request.node.name)


@pytest.fixture
def staff():
    return User.objects.create_superuser(email=STAFF_EMAIL, password=PASSWORD, name="Staff")


@pytest.fixture
def staff_page(page, staff):
    """Logged in through the admin's login form, as staff do."""
    page.log_in()
    # The login page has #site-name too: wait for what only a logged-in page shows.
    page.find("#user-tools")
    assert page.path() == "/admin/", page.text()
    return page


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test keeps the page it failed on, and the browser's console."""
    report = (yield).get_result()
    page = item.funcargs.get("page") or item.funcargs.get("staff_page")
    if report.when == "call" and report.failed and isinstance(page, Page):
        report.sections.append(("screenshot", str(page.shot("FAILED"))))
        try:
            console = "\n".join(entry["message"] for entry in page.driver.get_log("browser"))
        except WebDriverException:
            console = "(not available)"
        report.sections.append(("browser console", console))
        report.sections.append(("page text (end)", page.driver.find_element(By.TAG_NAME, "body").text[-3000:]))
