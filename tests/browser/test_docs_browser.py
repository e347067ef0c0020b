"""/docs/ in Chromium: Swagger UI (served from /static/ by WhiteNoise) lists every
operation of the schema, and "Try it out" calls the running API."""

import httpx
from selenium.webdriver.common.by import By

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def schema_operations(server):
    schema = httpx.get(f"{server.url}/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}, timeout=30).json()
    return sorted((method.upper(), path) for path, item in schema["paths"].items() for method in item if method in HTTP_METHODS)


def shown_operations(page):
    return sorted(
        (block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip(),
         block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
        for block in page.all(".opblock")
    )


def operation(page, method, path):
    for block in page.all(f".opblock-{method.lower()}"):
        if block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path") == path:
            return block
    raise AssertionError(f"{method} {path} is not on the page")


def test_swagger_ui_lists_every_operation_and_try_it_out_reaches_the_api(page, server, create_event):
    create_event(publish=True, title="Harbour Lights Festival")
    expected = schema_operations(server)
    assert len(expected) > 10

    page.open("/docs/")
    page.visible(".swagger-ui .info .title")
    page.wait_for_text("Event Booking API", ".swagger-ui .info .title")
    page.find(".opblock")
    assert shown_operations(page) == expected
    page.shot("docs")

    block = operation(page, "GET", "/events")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    page.click(".opblock-get.is-open .try-out__btn")
    page.click(".opblock-get.is-open .execute")
    live = page.find(".opblock-get.is-open .live-responses-table")
    page.driver.execute_script("arguments[0].scrollIntoView()", live)
    page.shot("docs-try-it-out")
    status = live.find_element(By.CSS_SELECTOR, "tbody .response-col_status").get_attribute("textContent").strip()
    body = live.find_element(By.CSS_SELECTOR, "tbody .response-col_description").get_attribute("textContent")
    assert status == "200", body
    assert '"title": "Harbour Lights Festival"' in body
