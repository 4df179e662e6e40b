"""The demo's three digital exhibitions dressed: an introduction, opening hours and a few images drawn with Pillow
when the demo loads (no picture files in the repository), captioned and credited in English and Chinese."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from PIL import Image, ImageDraw
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.events.models import Event
from server.exhibitions.images import store_image
from server.exhibitions.models import Exhibition, ExhibitionImage

# By session code: the introduction (en, zh), and per image its palette (sky, ground, building) and caption.
EXHIBITIONS: dict[str, tuple[tuple[str, str], list[tuple[tuple[str, str, str], str, str]]]] = {
    "EXPO-ASIA": (
        (
            "Sites, crafts and living traditions from across Asia. Each image is a study for the immersive screens "
            "in the hall.",
            "来自亚洲各地的遗址、工艺与活态传统。每幅图像都是展厅沉浸式屏幕的草图。",
        ),
        [
            (("#f6c177", "#7a5c3e", "#8c2f1b"), "A temple at dusk", "黄昏时的寺庙"),
            (("#9ccfd8", "#3e7a5c", "#31748f"), "Terraced fields after the rain", "雨后的梯田"),
            (("#ebbcba", "#575279", "#b4637a"), "Lanterns over the old market", "老市场上空的灯笼"),
        ],
    ),
    "EXPO-AXIS": (
        (
            "Seven centuries of the Central Axis of Beijing, from the Bell and Drum Towers to Yongdingmen.",
            "北京中轴线七百年：从钟鼓楼到永定门。",
        ),
        [
            (("#e0def4", "#908caa", "#c4a7e7"), "The Bell and Drum Towers", "钟鼓楼"),
            (("#f6c177", "#56526e", "#eb6f92"), "The gate at noon", "正午的城门"),
        ],
    ),
    "EXPO-GARDENS": (
        (
            "The royal gardens of the Qing dynasty: water, rocks and pavilions composed as paintings.",
            "清代皇家园林：水、石与亭台，宛如画卷。",
        ),
        [
            (("#c4e0d8", "#2d6a4f", "#95d5b2"), "A pavilion over the lake", "湖上的亭子"),
            (("#fde2e4", "#6d597a", "#e56b6f"), "Rocks and pines in winter", "冬日的山石与松"),
            (("#caf0f8", "#0077b6", "#90e0ef"), "The long corridor", "长廊"),
        ],
    ),
}
CREDIT = ("Drawn for the Podium demo", "为 Podium 演示绘制")


def drawing(sky: str, ground: str, building: str, seed: int) -> Image.Image:
    """A landscape of simple shapes, 1800×1200: sky, hills, a roofed building, a sun."""
    image = Image.new("RGB", (1800, 1200), sky)
    draw = ImageDraw.Draw(image)
    for y in range(0, 700, 4):  # the sky lightens towards the horizon
        shade = int(40 * y / 700)
        draw.rectangle((0, y, 1800, y + 4), fill=_lighter(sky, shade))
    draw.ellipse((1300 - seed * 90, 140, 1480 - seed * 90, 320), fill="#fff4d6")
    hills = [(x, 760 - int(120 * math.sin((x + seed * 200) / 260))) for x in range(0, 1801, 60)]
    draw.polygon([(0, 1200), *hills, (1800, 1200)], fill=ground)
    left = 500 + seed * 140
    draw.rectangle((left, 560, left + 560, 860), fill=building)
    draw.polygon([(left - 80, 580), (left + 280, 400), (left + 640, 580)], fill=_lighter(building, -40))
    for column in range(5):
        x = left + 50 + column * 110
        draw.rectangle((x, 640, x + 40, 860), fill=_lighter(building, 50))
    return image


def _lighter(colour: str, amount: int) -> tuple[int, int, int]:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return (
        max(0, min(255, red + amount)),
        max(0, min(255, green + amount)),
        max(0, min(255, blue + amount)),
    )


async def dress_exhibitions(db: AsyncSession, *, event: Event, media_dir: Path) -> int:
    """Gives the event's demo exhibitions their texts, hours and images; returns how many images it drew."""
    codes = list(EXHIBITIONS)
    sessions = (await db.exec(select(Session).where(Session.event_id == event.id, col(Session.code).in_(codes)))).all()
    other = [language for language in event.language_list[1:] if language == "zh"]
    drawn = 0
    for session in sessions:
        (intro, intro_zh), images = EXHIBITIONS[session.code]
        if await db.get(Exhibition, session.id) is not None:
            continue
        db.add(
            Exhibition(
                session_id=session.id or 0,
                event_id=event.id or 0,
                intro=intro,
                opens="10:30",
                closes="17:30",
                translations={"zh": {"intro": intro_zh}} if other else {},
            )
        )
        for position, ((sky, ground, building), caption, caption_zh) in enumerate(images):
            picture = drawing(sky, ground, building, position)
            stored, widths, width, height = await asyncio.to_thread(store_image, picture, media_dir=media_dir)
            db.add(
                ExhibitionImage(
                    event_id=event.id or 0,
                    session_id=session.id or 0,
                    stored_name=stored,
                    widths=widths,
                    width=width,
                    height=height,
                    caption=caption,
                    credit=CREDIT[0],
                    position=position,
                    translations={"zh": {"caption": caption_zh, "credit": CREDIT[1]}} if other else {},
                )
            )
            drawn += 1
    await db.commit()
    return drawn
