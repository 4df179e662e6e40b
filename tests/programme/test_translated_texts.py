"""A programme in several languages: titles, rooms, tracks and the event's texts in each event language, shown in
the reader's language with the default where none is given — on the agenda, a session page, the frab and iCal
exports (``?lang=``), the API and the event file; bad translations refused with a message."""

from __future__ import annotations

import icalendar
import pytest
from lxml import etree
from lxml import html as lxml_html
from sqlmodel import select

from server import i18n
from server.accounts.models import Role
from server.agenda.file_checks import EventFileError
from server.agenda.interchange import DEMO_EVENT_FILE, dump_event_file, export_event, import_event, parse_event_file
from server.agenda.models import Room, Session
from server.agenda.texts import SESSION_FIELDS, clean_translations
from server.db import Database
from server.errors import InvalidInput
from server.events.services import get_event
from server.i18n import match_language
from tests.support.api_tokens import bearer, make_token
from tests.support.factories import staff
from tests.support.html import page
from tests.support.http import post, signed_in_as
from tests.support.programme import editor, send, session_form

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

KEYNOTE_JA = "基調講演：文明間の対話を促進し、アジアの未来を形づくる"
ALLIANCE_JA = "アジア文化遺産保護同盟の発足"
ORGANISER = "organiser@example.org"


@pytest.fixture
async def japanese(database: Database, demo_event: str) -> str:
    """The demo event offered in Japanese too, with two sessions, a room and the title translated."""
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        event.languages = "en,zh,ja"
        event.translations = {**event.translations, "ja": {"title": "アジア文化遺産保護対話"}}
        for code, title in (("KEYNOTE", KEYNOTE_JA), ("ALLIANCE", ALLIANCE_JA)):
            session = (await db.exec(select(Session).where(Session.code == code))).one()
            session.translations = {**session.translations, "ja": {"title": title}}
            db.add(session)
        room = (await db.exec(select(Room).where(Room.slug == "jade-room"))).one()
        room.translations = {**room.translations, "ja": {"name": "翡翠の間"}}
        db.add_all([event, room])
        await db.commit()
    return demo_event


def css(tree, selector: str) -> list:
    """Elements by tag ("h1") or by class (".card-title")."""
    if selector.startswith("."):
        return tree.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {selector[1:]} ')]")
    return tree.xpath(f"//{selector}")


def test_interface_languages_find_the_event_languages() -> None:
    assert match_language("zh-Hans", ["en", "zh"]) == "zh"
    assert match_language("ja-JP", ["en", "ja"]) == "ja"
    assert match_language("ko", ["en", "ja"]) is None


async def test_agenda_and_session_page_in_japanese_show_japanese_titles_where_given(client, japanese) -> None:
    agenda = page(await client.get(f"/{japanese}/", params={"lang": "ja", "day": "all"}))
    english = page(await client.get(f"/{japanese}/", params={"lang": "en", "day": "all"}))

    titles = [" ".join(node.itertext()).strip() for node in css(agenda, ".card-title")]
    assert KEYNOTE_JA in titles and ALLIANCE_JA in titles
    assert "Lunch" in titles  # no Japanese given: the default
    assert KEYNOTE_JA not in [" ".join(node.itertext()).strip() for node in css(english, ".card-title")]
    assert css(agenda, "h1")[0].text == "アジア文化遺産保護対話"
    assert "翡翠の間" in agenda.xpath("string(//body)")

    keynote = page(await client.get(f"/{japanese}/sessions/KEYNOTE", params={"lang": "ja"}))
    lunch = page(await client.get(f"/{japanese}/sessions/LUNCH-1", params={"lang": "ja"}))
    assert css(keynote, "h1")[0].text == KEYNOTE_JA
    assert css(lunch, "h1")[0].text == "Lunch"


async def test_chinese_interface_shows_the_demo_event_s_chinese_texts(client, demo_event) -> None:
    agenda = page(await client.get(f"/{demo_event}/", params={"lang": "zh-Hans", "day": "all"}))

    titles = [" ".join(node.itertext()).strip() for node in css(agenda, ".card-title")]
    assert "亚洲文化遗产保护联盟启动仪式" in titles
    assert "Opening Ceremony / 开幕式" in titles  # no translation: the default


async def test_frab_export_in_japanese_falls_back_per_field(client, japanese) -> None:
    japanese_xml = etree.fromstring((await client.get(f"/{japanese}/schedule.xml", params={"lang": "ja"})).content)
    default_xml = etree.fromstring((await client.get(f"/{japanese}/schedule.xml")).content)

    titles = {event.findtext("slug").split("-")[-1]: event.findtext("title") for event in japanese_xml.iter("event")}
    assert KEYNOTE_JA in titles.values() and ALLIANCE_JA in titles.values()
    assert "Lunch" in titles.values()
    assert japanese_xml.findtext("conference/title") == "アジア文化遺産保護対話"
    assert "翡翠の間" in {room.get("name") for room in japanese_xml.iter("room")}
    assert KEYNOTE_JA not in {event.findtext("title") for event in default_xml.iter("event")}
    frab_response = await client.get(f"/{japanese}/schedule.json", params={"lang": "ja"})
    frab_json = frab_response.json()
    assert "schedule" in frab_json, frab_response.text[:300]
    assert frab_json["schedule"]["conference"]["title"] == "アジア文化遺産保護対話"


async def test_ical_in_a_chosen_language(client, japanese) -> None:
    response = await client.get(f"/{japanese}/sessions/KEYNOTE.ics", params={"lang": "ja"})
    calendar = icalendar.Calendar.from_ical(response.content)

    summaries = [str(component["summary"]) for component in calendar.walk("VEVENT")]
    assert summaries == [KEYNOTE_JA]
    whole = icalendar.Calendar.from_ical((await client.get(f"/{japanese}/schedule.ics?lang=ja")).content)
    assert "Lunch" in [str(component["summary"]) for component in whole.walk("VEVENT")]


@pytest.mark.parametrize("lang", ["ko", "xx", "ja\x00", "j" * 400])
async def test_exports_refuse_a_language_the_event_does_not_offer(client, japanese, lang) -> None:
    for path in ("schedule.xml", "schedule.json", "schedule.ics", "sessions/KEYNOTE.ics"):
        response = await client.get(f"/{japanese}/{path}", params={"lang": lang})
        assert response.status_code == 400, (path, response.text[:200])
        if lang == "ko":  # an interface language, but not one of the event's: the page speaks Korean and says why
            refusal = i18n.translations(i18n.find_language("ko")).ugettext(
                "This event's programme is not offered in '%(language)s'; its languages are %(languages)s."
            )
            shown = lxml_html.fromstring(response.text).text_content()
            assert refusal.split("%(language)s")[0] + "ko" in shown


@BOTH_BACKENDS
async def test_event_file_round_trip_carries_translations(database: Database, japanese: str) -> None:
    async with database.session() as db:
        exported = await export_event(db, event=await get_event(db, slug=japanese))
    keynote = next(entry for entry in exported["sessions"] if entry["code"] == "KEYNOTE")
    assert keynote["translations"]["ja"] == {"title": KEYNOTE_JA}
    exported["event"]["slug"] = "copy"
    text = dump_event_file(exported)

    async with database.session() as db:
        await import_event(db, document=parse_event_file(text))
    async with database.session() as db:
        again = dump_event_file(await export_event(db, event=await get_event(db, slug="copy")))
    assert again == text


def test_event_file_refuses_a_translation_into_a_language_the_event_lacks() -> None:
    text = DEMO_EVENT_FILE.read_text(encoding="utf-8").replace(
        '"zh": {\n          "title": "茶歇"', '"ko": {\n          "title": "휴식"', 1
    )
    with pytest.raises(EventFileError) as refused:
        parse_event_file(text)
    assert "not one of the event's other languages" in str(refused.value)


@BOTH_BACKENDS
async def test_api_round_trip_of_translations(client, database, japanese) -> None:
    async with database.session() as db:
        await staff(db, await get_event(db, slug=japanese), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    token = await make_token(client, japanese)
    url = f"/api/v1/events/{japanese}/sessions/LUNCH-1"

    changed = await client.patch(url, json={"translations": {"ja": {"title": "昼食"}}}, headers=bearer(token))
    assert changed.status_code == 200, changed.text
    read = (await client.get(url)).json()
    assert (read["title"], read["translations"]["ja"]) == ("Lunch", {"title": "昼食"})
    shown = page(await client.get(f"/{japanese}/sessions/LUNCH-1", params={"lang": "ja"}))
    assert css(shown, "h1")[0].text == "昼食"

    for bad in (
        {"ko": {"title": "점심"}},
        {"ja": {"title": "x\x00"}},
        {"ja": {"title": "長" * 301}},
        {"ja": {"venue": "x"}},
    ):
        refused = await client.patch(url, json={"translations": bad}, headers=bearer(token))
        assert refused.status_code in (400, 422), (bad, refused.text)
    assert (await client.get(url)).json()["translations"]["ja"] == {"title": "昼食"}


@BOTH_BACKENDS
async def test_translations_stored_and_checked(database: Database, japanese: str) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=japanese)
        assert clean_translations(event, {"ja": {"title": " 題 ", "abstract": ""}}, SESSION_FIELDS) == {
            "ja": {"title": "題"}
        }
        for bad, message in (
            ({"ko": {"title": "x"}}, "does not offer"),
            ({"en": {"title": "x"}}, "default language"),
            ({"ja": {"title": "x\x00"}}, "cannot be stored"),
            ({"ja": {"title": "x" * 301}}, "longer than"),
        ):
            with pytest.raises(InvalidInput, match=message):
                clean_translations(event, bad, SESSION_FIELDS)
        keynote = (await db.exec(select(Session).where(Session.code == "KEYNOTE"))).one()
    assert keynote.translations["ja"]["title"] == KEYNOTE_JA


def _field_errors(response) -> dict[str, str]:
    return {
        element.get("id").removeprefix("error-"): " ".join(element.text_content().split())
        for element in page(response).xpath("//p[@class='field-error']")
    }


@BOTH_BACKENDS
async def test_editor_saves_a_translated_title_that_the_release_shows(organiser, database, demo_event) -> None:
    path = editor(demo_event, "/sessions/LUNCH-1")
    values = await session_form(organiser, demo_event, "LUNCH-1")
    assert values["title__zh"] == "午餐"

    nul = await send(organiser, path, {**values, "title__zh": "午\x00饭"})
    assert nul.status_code == 400  # the form as a whole is refused, shown again without the NUL
    assert page(nul).xpath("//input[@name='title__zh']/@value") == ["午饭"]
    too_long = await send(organiser, path, {**values, "title__zh": "长" * 301})
    assert too_long.status_code == 400
    assert "longer than 300" in _field_errors(too_long)["s-title-zh-error"]
    saved = await send(organiser, path, {**values, "title__zh": "午饭", "abstract__zh": "在二楼"})
    assert saved.status_code == 303, saved.text[:300]
    chinese = page(await organiser.get(f"/{demo_event}/sessions/LUNCH-1", params={"lang": "zh-Hans"}))
    assert chinese.xpath("string(//h1)") == "午餐"  # a draft until the release

    preview = await organiser.get(editor(demo_event, "/release"))
    assert "LUNCH-1" in preview.text  # a translation alone is a change the release carries
    released = await send(organiser, editor(demo_event, "/release"), {})
    assert released.status_code == 303
    chinese = page(await organiser.get(f"/{demo_event}/sessions/LUNCH-1", params={"lang": "zh-Hans"}))
    english = page(await organiser.get(f"/{demo_event}/sessions/LUNCH-1", params={"lang": "en"}))
    assert (chinese.xpath("string(//h1)"), english.xpath("string(//h1)")) == ("午饭", "Lunch")
    assert "在二楼" in chinese.xpath("string(//body)")
    async with database.session() as db:
        lunch = (await db.exec(select(Session).where(Session.code == "LUNCH-1"))).one()
    assert lunch.translations == {"zh": {"title": "午饭", "abstract": "在二楼"}}


@BOTH_BACKENDS
async def test_rooms_and_kinds_forms_take_a_name_per_event_language(organiser, database, demo_event) -> None:
    async with database.session() as db:
        jade = (await db.exec(select(Room).where(Room.slug == "jade-room"))).one()
    path = f"/{demo_event}/organiser/programme-parts/room/{jade.id}"
    form = page(await organiser.get(path))
    assert form.xpath("//input[@name='name__zh']/@value") == ["玉厅"]
    room = {"name": "Jade Room", "slug": "jade-room", "capacity": "80", "streamed": "on", "version": str(jade.version)}

    too_long = await post(organiser, path, {**room, "name__zh": "厅" * 201, "description__zh": ""})
    assert too_long.status_code == 400
    assert "longer than 200" in " ".join(page(too_long).xpath("//p[@id='part-name-zh-error']//text()"))
    saved = await post(organiser, path, {**room, "name__zh": "翡翠厅", "description__zh": "二楼"})
    assert saved.status_code == 303
    made = await post(
        organiser,
        f"/{demo_event}/organiser/programme-parts/kind/new",
        {"name": "Fireside chat", "slug": "fireside", "color": "", "behaviour": "parallel", "name__zh": "炉边谈话"},
    )
    assert made.status_code == 303

    chinese = page(await organiser.get(f"/{demo_event}/", params={"lang": "zh-Hans"}))
    english = page(await organiser.get(f"/{demo_event}/", params={"lang": "en"}))
    assert "翡翠厅" in chinese.xpath("//select[@id='filter-room']/option/text()")
    assert "Jade Room" in english.xpath("//select[@id='filter-room']/option/text()")
    assert "炉边谈话" in chinese.xpath("//select[@id='filter-kind']/option/text()")
    assert "Fireside chat" in english.xpath("//select[@id='filter-kind']/option/text()")


async def _event_form(client, slug: str) -> dict[str, object]:
    form = page(await client.get(f"/{slug}/organiser/event")).xpath("//form[.//input[@name='title']]")[0]
    values: dict[str, object] = {"languages": []}
    for control in form.xpath(".//input|.//select|.//textarea"):
        name, kind = control.get("name"), control.get("type")
        if name in (None, "csrf_token", "logo", "banner") or kind == "file":
            continue
        if kind == "checkbox":
            if control.get("checked") is not None:
                values.setdefault(name, []).append(control.get("value"))  # type: ignore[union-attr]
        elif control.tag == "select":
            chosen = control.xpath("./option[@selected]/@value") or control.xpath("./option[1]/@value")
            values[name] = chosen[0] if chosen else ""
        elif control.tag == "textarea":
            values[name] = control.text or ""
        else:
            values[name] = control.get("value", "")
    return values


@BOTH_BACKENDS
async def test_event_form_takes_title_and_venue_per_event_language(organiser, database, demo_event) -> None:
    values = await _event_form(organiser, demo_event)
    assert (values["title__zh"], values["venue__zh"]) == ("亚洲文化遗产保护对话会", "北京文化遗产会议中心")

    refused = await send(organiser, f"/{demo_event}/organiser/event", {**values, "venue__zh": "馆" * 301})
    assert refused.status_code == 400
    assert page(refused).xpath("//p[@id='event-venue-zh-error']")
    saved = await send(organiser, f"/{demo_event}/organiser/event", {**values, "title__zh": "亚洲遗产对话"})
    assert saved.status_code == 303, saved.text[:300]

    chinese = page(await organiser.get(f"/{demo_event}/", params={"lang": "zh-Hans"}))
    english = page(await organiser.get(f"/{demo_event}/", params={"lang": "en"}))
    assert chinese.xpath("string(//h1)") == "亚洲遗产对话"
    assert english.xpath("string(//h1)") == "Asian Dialogue for Cultural Heritage Conservation"
