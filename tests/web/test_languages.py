"""The staff pages in Norwegian Bokmål and in English: which language a page speaks (the user's
choice, remembered; else the browser's Accept-Language; else Norwegian), `lang` on every page,
dates in the language's one format with a 24-hour clock (the admin too), money as the account's
display locale shows it in both, and the API in English whatever the request asks for.

The suite's settings default to English (backoffice/settings_test.py); these tests ask for
Norwegian explicitly."""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from backoffice.actor import Actor
from backoffice.models import Account
from orders.holds import holds_described, order_holds
from orders.models import Event, EventKind, OperationKind, Order, PaymentOperation
from orders.services.events import event_write
from orders.services.replacement import Replacement, Reversal, replacement_create
from payments.services.journal import call_summary
from payments.services.sessions import session_create
from tests.support.orders import item, make_draft, make_order, record

NB = {"HTTP_ACCEPT_LANGUAGE": "nb-NO,nb;q=0.9,en;q=0.5"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
# 1 December 2026, 06:54 in Oslo (05:54 UTC).
CREATED = dt.datetime(2026, 12, 1, 5, 54, tzinfo=dt.UTC)


@pytest.fixture
def named_account(account):
    # A fixed name: the generated ones are English words ("… and Sons"), which the pages show.
    Account.objects.filter(pk=account.pk).update(name="Testbutikken AS")
    account.refresh_from_db()
    return account


@pytest.fixture
def order(named_account) -> Order:
    order = make_order(named_account, [item(1), item(2, gross=10000)], authorized=True)
    record(order, "capture", [(1, 39800)])
    Order.objects.filter(pk=order.pk).update(created_at=CREATED)
    PaymentOperation.objects.filter(order=order).update(created_at=CREATED)
    Event.objects.filter(order=order).update(created_at=CREATED)
    order.refresh_from_db()
    return order


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, html[:300]
    return match[1]


# Which language ---------------------------------------------------------------------------------


def test_norwegian_is_the_default_when_the_browser_says_nothing(settings, order, login):
    settings.LANGUAGE_CODE = "nb"
    html = text(login().get(f"/{order.account.aid}/orders/"))
    assert html_lang(html) == "nb"
    assert "<h1>Ordrer</h1>" in html and "Logg ut" in html


def test_a_language_the_pages_do_not_speak_falls_back_to_norwegian(settings, order, login):
    settings.LANGUAGE_CODE = "nb"
    html = text(login().get(f"/{order.account.aid}/orders/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert html_lang(html) == "nb" and "<h1>Ordrer</h1>" in html


@pytest.mark.parametrize(
    ("accept", "lang", "heading"),
    [
        ("nb-NO,nb;q=0.9,en;q=0.5", "nb", "<h1>Ordrer</h1>"),
        ("no", "nb", "<h1>Ordrer</h1>"),  # Norwegian, unqualified: Bokmål
        ("en-US,en;q=0.9", "en", "<h1>Orders</h1>"),
        ("en-GB", "en", "<h1>Orders</h1>"),
        ("sv-SE,sv;q=0.9,en;q=0.8", "en", "<h1>Orders</h1>"),  # the first one spoken
    ],
)
def test_the_browser_s_accept_language_chooses(order, login, accept, lang, heading):
    response = login().get(f"/{order.account.aid}/orders/", HTTP_ACCEPT_LANGUAGE=accept)
    html = text(response)
    assert html_lang(html) == lang and heading in html
    assert response["Content-Language"] == lang
    assert "Accept-Language" in response["Vary"]


def test_the_switcher_is_remembered_over_the_browser_s_language(order, login):
    client = login()
    page = f"/{order.account.aid}/orders/{order.order_id}/"
    assert html_lang(text(client.get(page, **NB))) == "nb"
    # The header's switcher: a form posting to Django's set_language, coming back to the page.
    assert 'action="/i18n/setlang/"' in text(client.get(page, **NB))
    response = client.post("/i18n/setlang/", {"language": "en", "next": page}, **NB)
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en" and int(cookie["max-age"]) >= 365 * 24 * 60 * 60
    # Remembered: the browser still asks for Norwegian, the pages speak English.
    html = text(client.get(page, **NB))
    assert html_lang(html) == "en" and "Timeline" in html and "Tidslinje" not in html
    client.post("/i18n/setlang/", {"language": "nb", "next": page}, **EN)
    html = text(client.get(page, **EN))
    assert html_lang(html) == "nb" and "Tidslinje" in html


def test_the_switcher_is_on_the_sign_in_page_and_refuses_what_it_does_not_speak(db):
    client = Client()
    html = text(client.get("/login/", **NB))
    assert html_lang(html) == "nb" and "Logg inn" in html and "Brukernavn" in html
    assert 'name="language" value="en"' in html and 'lang="en"' in html
    # Each language named in itself, whatever the page's language.
    assert ">English</button>" in html and ">Norsk bokmål</button>" in html
    assert ">Norsk bokmål</button>" in text(client.get("/login/", **EN))
    # An unknown language, or a next page elsewhere, change nothing and go nowhere outside.
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/login/"})
    assert response.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in response.cookies
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_kind_of_page_says_its_language(order, login, lang):
    client = login()
    aid = order.account.aid
    headers = {"HTTP_ACCEPT_LANGUAGE": lang}
    for path in (
        f"/{aid}/orders/",
        f"/{aid}/orders/{order.order_id}/",
        f"/{aid}/work/",
        f"/{aid}/finance/",
        f"/{aid}/drafts/",
        "/admin/",
    ):
        assert html_lang(text(client.get(path, **headers))) == lang, path
    not_found = client.get(f"/{aid}/orders/NOPE/", **headers)
    assert not_found.status_code == 404 and html_lang(not_found.content.decode()) == lang
    assert html_lang(text(Client().get("/login/", **headers))) == lang


def test_the_error_pages_speak_the_language(order, login):
    client = login()
    not_found = client.get(f"/{order.account.aid}/orders/NOPE/", **NB).content.decode()
    assert "Ikke funnet" in not_found and "Not found" not in not_found
    forbidden = login("Customer service").get(f"/{order.account.aid}/finance/", **NB)
    assert forbidden.status_code == 403 and "Ikke tillatt" in forbidden.content.decode()
    # Refused before any view runs (a NUL in a query parameter): still in the user's language.
    bad = client.get(f"/{order.account.aid}/orders/", {"q": "a\x00b"}, **NB)
    assert bad.status_code == 400 and "Ugyldig forespørsel" in bad.content.decode()
    assert html_lang(bad.content.decode()) == "nb"


# Dates and money --------------------------------------------------------------------------------


def test_dates_on_the_order_list_and_page_in_each_language(order, login):
    client = login()
    for path in (f"/{order.account.aid}/orders/", f"/{order.account.aid}/orders/{order.order_id}/"):
        nb, en = text(client.get(path, **NB)), text(client.get(path, **EN))
        assert "01.12.2026 06:54" in nb, path
        assert "1 Dec 2026 06:54" in en, path
        for html in (nb, en):
            assert not re.search(r"\d\s?[ap]\.m\.", html), path
            assert "12/01/2026" not in html and "Dec. 1" not in html


def test_money_keeps_the_display_locale_in_both_languages(order, login):
    client = login()
    for headers in (NB, EN):
        html = text(client.get(f"/{order.account.aid}/orders/{order.order_id}/", **headers))
        assert "398,00\xa0kr" in html or "398,00 kr" in html
        assert "498,00" in html and "NOK 398.00" not in html and "kr398" not in html


def test_the_admin_shows_dates_in_the_language_with_a_24_hour_clock(order, login):
    client = login()
    nb = text(client.get("/admin/orders/order/", **NB))
    en = text(client.get("/admin/orders/order/", **EN))
    assert "01.12.2026 06:54" in nb
    assert "1 Dec 2026 06:54" in en
    for html in (nb, en):
        assert not re.search(r"\d\s?[ap]\.m\.", html)
    # Django's own Norwegian for the admin's words, and ours.
    assert "Logg ut" in nb.replace("LOGG UT", "Logg ut") or "logg ut" in nb.lower()
    assert "Administrasjon av ordre-back-office" in nb and "Order back-office administration" in en
    assert "Beløp, MVA-linjer og betalingsoperasjoner er pengehistorikk" in text(
        client.get(f"/admin/orders/order/{order.pk}/change/", **NB)
    )


def test_date_inputs_take_and_show_the_language_s_format(order, login):
    client = login()
    listing = f"/{order.account.aid}/orders/"
    for headers, typed, other_day in ((NB, "01.12.2026", "02.12.2026"), (EN, "01/12/2026", "02/12/2026")):
        # Typed as the language writes dates, or ISO as the pages' own links do.
        for day in (typed, "2026-12-01"):
            assert (
                client.get(listing, {"created_from": day, "created_to": day}, **headers).context["total"] == 1
            )
        assert client.get(listing, {"created_from": other_day}, **headers).context["total"] == 0
        # A text input, not <input type="date"> (which browsers show in their own locale).
        html = text(client.get(listing, **headers))
        assert re.search(r'<input type="text" name="created_from"[^>]*inputmode="numeric"', html), html
    assert 'placeholder="dd.mm.åååå"' in text(client.get(listing, **NB))
    assert 'placeholder="dd/mm/yyyy"' in text(client.get(listing, **EN))
    # The finance page's custom period shows its dates so, and reads them back.
    report = f"/{order.account.aid}/finance/"
    query = {"period": "custom", "group": "day"}
    nb = text(client.get(report, {**query, "first": "01.12.2026", "last": "31.12.2026"}, **NB))
    assert 'value="01.12.2026"' in nb and 'value="31.12.2026"' in nb and "01.12.2026 til 31.12.2026" in nb
    en = text(client.get(report, {**query, "first": "01/12/2026", "last": "31/12/2026"}, **EN))
    assert 'value="01/12/2026"' in en and "1 Dec 2026 to 31 Dec 2026" in en
    assert 'type="date"' not in nb + en


# Words ------------------------------------------------------------------------------------------


def test_the_order_page_in_norwegian(order, login):
    html = text(login().get(f"/{order.account.aid}/orders/{order.order_id}/", **NB))
    for words in (
        f'Ordre <span class="mono">{order.order_id}</span>',
        "Tidslinje",
        "Betalingsoperasjoner",
        "Trukket",
        "Delvis trukket",
        "Gjenstår å trekke",
        "Legg til notat",
        "Bytt vare",
        "Trekk av 398,00",  # the timeline, said at display time
        "Ordre opprettet med 2 linjer",
    ):
        assert words in html, words


def test_a_staff_action_in_norwegian_stores_its_summary_in_english(order, login, api):
    client = login()
    form = client.get(f"/{order.account.aid}/orders/{order.order_id}/capture/", **NB)
    token = form.context["form"]["form_token"].value()
    response = client.post(
        f"/{order.account.aid}/orders/{order.order_id}/capture/",
        {"form_token": token, "line_2": "100", "payment_id": "PID_123"},
        **NB,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.filter(order=order, kind=EventKind.CAPTURE_RECORDED).latest("pk")
    assert event.summary.startswith("Capture of 100,00"), event.summary
    page = text(client.get(f"/{order.account.aid}/orders/{order.order_id}/", **NB))
    assert "Trekk av 100,00" in page and "registrert." in page
    events = api.call("GET", f"orders/{order.order_id}/events", HTTP_ACCEPT_LANGUAGE="nb").json()
    summaries = [
        e.get("summary", "") for e in events.get("events", events if isinstance(events, list) else [])
    ]
    assert not any("Trekk" in s for s in summaries), summaries


def test_the_api_speaks_english_whatever_the_request_asks(order, api):
    for accept in ("nb", "nb-NO,nb;q=0.9", "en"):
        missing = api.call("GET", "orders/NOPE", HTTP_ACCEPT_LANGUAGE=accept)
        assert missing.status_code == 404
        body = missing.json()["error"]
        assert body["code"] == "not_found"
        invalid = api.call("POST", "draft_orders", {"order": {"items": "x"}}, HTTP_ACCEPT_LANGUAGE=accept)
        assert invalid.status_code == 400
        messages = " ".join(e["message"] for e in invalid.json()["error"]["errors"])
        assert "must be a list of order lines" in messages, messages
        required = api.call("POST", "draft_orders", {"options": {}}, HTTP_ACCEPT_LANGUAGE=accept)
        assert required.status_code == 400
        messages += " ".join(e["message"] for e in required.json()["error"]["errors"])
        assert "is required" in messages, messages
        assert not re.search(r"(påkrevd|Forventet|gyldig|feltet)", messages), messages
        assert missing.get("Content-Language") in (None, "en")
    unauthenticated = Client().get(
        f"/v1/accounts/{order.account.aid}/shopping/orders", HTTP_ACCEPT_LANGUAGE="nb"
    )
    assert unauthenticated.status_code == 401
    # DRF's own message, which has a Norwegian catalogue too: the API keeps it English.
    assert unauthenticated.json()["error"]["message"] == "Authentication credentials were not provided."


# Nothing left in English ------------------------------------------------------------------------

# Words no Norwegian sentence has and English ones nearly always do, and the pages' own English
# words: a string left unmarked in a template shows one of them on the Norwegian page.
ENGLISH = re.compile(
    r"\b(the|and|of|with|yet|is|are|has|Orders?|Search|Total|Sign|Payments?|Customer|Lines?|"
    r"Timeline|Captured|Refunded|Authorized|Amount|Reason|Cancel|Drafts?|Save|Close|Back|Show|"
    r"Choose|Nothing|None|Period|Created|Started|Replace|Refund|Capture|Authorize|Add|"
    r"Download|Previous|Next|Page|Work|queues?|Books|Subscriptions|Finance|Operations|"
    r"Date|Kind|Rate|Actor|Rows|Currency|Day|Week|Month|Today|New|Open|Edit|Remove|Difference)\b"
)


class _Words(HTMLParser):
    """What a reader sees or hears: text outside scripts and styles, and the labels, titles and
    placeholders of elements."""

    def __init__(self):
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.words.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.words.append(data.strip())


def english_words(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    parser = _Words()
    parser.feed(html)
    found = []
    for words in parser.words:
        for name in allowed:
            words = words.replace(name, "")
        found += [f"{m[0]!r} in {words!r}" for m in ENGLISH.finditer(words)]
    return found


def norwegian_pages(order: Order) -> list[str]:
    aid = order.account.aid
    draft = make_draft(order.account, [item(1)])
    return [
        f"/{aid}/orders/",
        f"/{aid}/orders/?q=nothing-matches-this",
        f"/{aid}/orders/?queue=to_capture",
        f"/{aid}/orders/{order.order_id}/",
        f"/{aid}/orders/{order.order_id}/capture/",
        f"/{aid}/orders/{order.order_id}/refund/",
        f"/{aid}/orders/{order.order_id}/authorize/",
        f"/{aid}/orders/{order.order_id}/cancellation/",
        f"/{aid}/orders/{order.order_id}/cancel/",
        f"/{aid}/orders/{order.order_id}/customer/",
        f"/{aid}/orders/{order.order_id}/replace/",
        f"/{aid}/orders/{order.order_id}/payments/",
        f"/{aid}/orders/{order.order_id}/payments/panel",
        f"/{aid}/drafts/",
        f"/{aid}/drafts/new/",
        f"/{aid}/drafts/{draft.pk}/",
        f"/{aid}/work/",
        f"/{aid}/finance/",
        f"/{aid}/finance/?period=custom&first=2026-11-01&last=2026-12-31&group=week",
        f"/{aid}/finance/operations/?currency=NOK",
        f"/{aid}/finance/books/",
        f"/{aid}/hooks/",
    ]


# What may stay as it is: names of things (the product, formats, the API's paths, a country's
# Norwegian name).
ALLOWED = ("CSV", "HMAC-SHA1", "event-delivery", "URL", "Back-office", "New Zealand")


def test_no_english_is_left_on_the_norwegian_pages(order, login):
    client = login()
    found = {}
    for path in norwegian_pages(order):
        response = client.get(path, **NB)
        assert response.status_code == 200, (path, response.status_code)
        words = english_words(response.content.decode(), ALLOWED)
        if words:
            found[path] = words
    assert found == {}, "\n".join(f"{path}: {', '.join(words)}" for path, words in found.items())


def test_the_english_pages_are_english(order, login):
    client = login()
    for path in norwegian_pages(order)[:4]:
        html = text(client.get(path, **EN))
        assert not re.search(r"\b(Ordrer|Tidslinje|Søk|Logg ut)\b", html), path


def test_the_unmarked_string_detector_sees_english(order, login):
    # The detector itself: an English sentence in a Norwegian page is found.
    assert english_words("<p>Nothing recorded yet.</p>") != []
    assert english_words('<button aria-label="Search orders">Søk</button>') != []
    assert english_words("<p>Ingenting registrert ennå.</p><script>var the = 1;</script>") == []


def test_stale_authorization_queue_title_counts_days_in_norwegian(order, login):
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    html = text(login().get(f"/{order.account.aid}/work/", **NB))
    assert "Autorisasjoner eldre enn 7 dager" in html


def test_a_refusal_reads_in_norwegian_on_the_page_and_in_english_on_the_api(order, login, api):
    client = login()
    path = f"/{order.account.aid}/orders/{order.order_id}/capture/"
    token = client.get(path, **NB).context["form"]["form_token"].value()
    # Line 2 has 100,00 kr authorized and nothing captured: 200 is more than it may take.
    response = client.post(path, {"form_token": token, "line_2": "200", "payment_id": "PID_123"}, **NB)
    assert response.status_code == 422
    html = response.content.decode()
    assert "linje 2: trekk på 200,00\xa0kr overstiger gjenværende autorisert beløp, 100,00\xa0kr" in html
    refused = api.call(
        "POST",
        f"orders/{order.order_id}/captures",
        {"items": [{"line_id": 2, "amount": 20000}], "payment_details": {"payment_id": "PID_123"}},
        HTTP_ACCEPT_LANGUAGE="nb",
    )
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert message == "line 2: capture 20000 exceeds the remaining authorized 10000"


def test_what_a_payment_link_holds_reads_in_the_page_s_language(named_account, login):
    order = make_order(named_account)
    session_create(order=order, items=None, actor=Actor(system="tests"))
    client = login()
    nb = text(client.get(f"/{order.account.aid}/orders/{order.order_id}/", **NB))
    en = text(client.get(f"/{order.account.aid}/orders/{order.order_id}/", **EN))
    assert "Holdt av til det er avklart:" in nb and "(åpen)" in nb and "betalingslenke" in nb
    assert "Held until settled:" in en and "(open)" in en
    # The API's words stay English whatever language is active.
    with translation.override("nb"):
        message = holds_described(
            order_holds(order, OperationKind.AUTHORIZATION), OperationKind.AUTHORIZATION
        )
    assert re.fullmatch(r"payment link \w{8} \(open\) holds 39800", message), message


def test_no_english_on_the_norwegian_confirmation_refusal_and_error_pages(order, login):
    client = login()
    aid = order.account.aid
    capture = f"/{aid}/orders/{order.order_id}/capture/"
    token = client.get(capture, **NB).context["form"]["form_token"].value()
    pages = {
        # Without JavaScript a confirmation step shows the total first.
        "confirm": client.post(
            capture, {"form_token": token, "line_2": "50", "payment_id": "PID_123", "review": "1"}, **NB
        ),
        "refused": client.post(
            capture, {"form_token": token, "line_2": "500", "payment_id": "PID_123"}, **NB
        ),
        "nothing chosen": client.post(capture, {"form_token": token, "payment_id": "PID_123"}, **NB),
        "404": client.get(f"/{aid}/orders/NOPE/", **NB),
        "403": login("Customer service").get(f"/{aid}/finance/", **NB),
        "400": client.get(f"/{aid}/orders/", {"q": "a\x00b"}, **NB),
        "sign-in": Client().get("/login/", **NB),
    }
    found = {}
    for name, response in pages.items():
        assert response.status_code in (200, 400, 403, 404, 422), (name, response.status_code)
        words = english_words(response.content.decode(), ALLOWED)
        if words:
            found[name] = words
    assert found == {}, found
    assert "Trekk 50,00" in pages["confirm"].content.decode()


def test_switching_after_a_refused_form_goes_back_to_the_form_s_page(order, login):
    client = login()
    capture = f"/{order.account.aid}/orders/{order.order_id}/capture/"
    token = client.get(capture, **NB).context["form"]["form_token"].value()
    refused = client.post(capture, {"form_token": token, "line_2": "500", "payment_id": "PID_123"}, **NB)
    assert refused.status_code == 422 and 'name="next"' not in refused.content.decode()
    order_page = f"http://testserver/{order.account.aid}/orders/{order.order_id}/"
    response = client.post("/i18n/setlang/", {"language": "en"}, HTTP_REFERER=order_page)
    assert response.status_code == 302 and response["Location"] == order_page


@pytest.mark.parametrize(
    ("kind", "state", "what", "nb", "error"),
    [
        ("capture", "pending", "requested", "Trekk 398,00\xa0kr hos Sandbox: forespurt", ""),
        (
            "capture",
            "succeeded",
            "succeeded (PID_123)",
            "Trekk 398,00\xa0kr hos Sandbox: utført (PID_123)",
            "",
        ),
        (
            "refund",
            "failed",
            "failed — declined",
            "Refusjon 398,00\xa0kr hos Sandbox: mislyktes — declined",
            "declined",
        ),
        (
            "void",
            "unknown",
            "outcome unknown — timed out; reconciliation will settle it",
            "Kansellering 398,00\xa0kr hos Sandbox: utfall ukjent — timed out; avstemmingen avklarer det",
            "timed out",
        ),
        # A step said in words of its own stays as it was stored.
        ("capture", "succeeded", "succeeded at the provider but NOT recorded — why", None, ""),
    ],
)
def test_a_provider_call_s_steps_in_the_timeline_in_norwegian(order, login, kind, state, what, nb, error):
    call = SimpleNamespace(amount=39800, provider="sandbox", kind=kind)
    summary = call_summary(call, order, what)
    data = {"kind": kind, "state": state, "payment_id": "PID_123", "amount": 39800, "error": error}
    with transaction.atomic():
        event_write(
            order=order, kind=EventKind.PROVIDER_CALL, actor=Actor(system="tests"), summary=summary, data=data
        )
    client = login()
    page = f"/{order.account.aid}/orders/{order.order_id}/"
    assert summary in text(client.get(page, **EN))  # English: as stored
    assert (nb or summary) in text(client.get(page, **NB))


@pytest.mark.parametrize(
    ("price", "steps"), [(30000, "Refunder prisforskjellen"), (50000, "Autoriser tilleggsbeløpet")]
)
def test_a_replacement_and_its_steps_in_norwegian(order, login, price, steps):
    # Line 1 (398,00 kr, captured) replaced by something cheaper, or dearer.
    draft = replacement_create(
        order=order,
        reversals=[Reversal(line_id=1, quantity=2)],
        replacements=[
            Replacement(sku="X1", description="Benk", quantity=1, gross_amount=price, vat_rate=Decimal(25))
        ],
        reason="bytte",
        actor=Actor(system="tests"),
    )
    client = login()
    page = client.get(f"/{order.account.aid}/orders/{order.order_id}/replacements/{draft.pk}/", **NB)
    html = text(page)
    assert steps in html and "Bytt linjene under PID_123" in html and "Neste steg" in html
    # The refund line's description is the order's data, as the API and the provider have it.
    data = (*ALLOWED, "Refund of the price difference")
    assert english_words(html, data) == [], english_words(html, data)
    order_page = text(client.get(f"/{order.account.aid}/orders/{order.order_id}/", **NB))
    assert "Erstatninger" in order_page and "Skal gjøres opp" in order_page
    assert english_words(order_page, data) == [], english_words(order_page, data)
