"""Real media files for sandbox results.

PNG and WAV are written with the standard library; MP4 (H.264) is encoded by the ffmpeg
binary that the ``imageio-ffmpeg`` wheel ships. A file is made once per kind, size and length
and then shared (the same inputs give the same bytes), so a submit costs no encoding.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import struct
import subprocess
import tempfile
import wave
import zlib
from typing import Any

MEDIA = {
    "image": ("png", "image/png"),
    "video": ("mp4", "video/mp4"),
    "audio": ("wav", "audio/wav"),
    "text": ("json", "application/json"),
}


def digest(model: str, params: dict[str, Any]) -> bytes:
    return hashlib.sha256(json.dumps([model, params], sort_keys=True).encode()).digest()


def _palette(seed: bytes) -> list[tuple[int, int, int]]:
    return [(seed[i], seed[i + 1], seed[i + 2]) for i in range(0, 24, 3)]


def frame(width: int, height: int, seed: bytes, t: float = 0.0) -> bytes:
    """One RGB24 frame: a gradient with a moving disc, from ``seed``."""
    pal = _palette(seed)
    (r0, g0, b0), (r1, g1, b1), (cr, cg, cb) = pal[0], pal[1], pal[2]
    cx = width * (0.25 + 0.5 * (0.5 + 0.5 * math.sin(2 * math.pi * (t + seed[9] / 255))))
    cy = height * (0.3 + 0.4 * (seed[10] / 255))
    rad2 = (min(width, height) * (0.15 + 0.1 * seed[11] / 255)) ** 2
    rows = []
    for y in range(height):
        fy = y / max(height - 1, 1)
        row = bytearray()
        for x in range(width):
            fx = x / max(width - 1, 1)
            if (x - cx) ** 2 + (y - cy) ** 2 <= rad2:
                row += bytes((cr, cg, cb))
            else:
                f = (fx + fy) / 2
                row += bytes(
                    (int(r0 + (r1 - r0) * f), int(g0 + (g1 - g0) * f), int(b0 + (b1 - b0) * f))
                )
        rows.append(bytes(row))
    return b"".join(rows)


def png(width: int, height: int, seed: bytes) -> bytes:
    raw = frame(width, height, seed)
    stride = width * 3
    scan = b"".join(b"\x00" + raw[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scan, 9))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float, seed: bytes, rate: int = 16000) -> bytes:
    f1, f2 = 220 + seed[0] * 2, 330 + seed[1] * 2
    n = int(rate * seconds)
    samples = b"".join(
        struct.pack(
            "<h",
            int(
                9000
                * (
                    math.sin(2 * math.pi * f1 * i / rate)
                    + 0.5 * math.sin(2 * math.pi * f2 * i / rate)
                )
            ),
        )
        for i in range(n)
    )
    with tempfile.SpooledTemporaryFile() as fh:
        with wave.open(fh, "wb") as w:  # type: ignore[call-overload]
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(samples)
        fh.seek(0)
        data: bytes = fh.read()
        return data


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    exe: str = imageio_ffmpeg.get_ffmpeg_exe()
    return exe


def mp4(width: int, height: int, seconds: float, seed: bytes, fps: int = 8) -> bytes:
    """An H.264 MP4 of ``seconds`` seconds."""
    frames = max(int(seconds * fps), 1)
    raw = b"".join(frame(width, height, seed, t=i / frames) for i in range(frames))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.mp4")
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(fps),
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-preset",
            "ultrafast",
            "-threads",
            "1",
            "-fflags",
            "+bitexact",
            "-flags",
            "+bitexact",
            "-map_metadata",
            "-1",
            "-movflags",
            "+faststart",
            out,
        ]
        subprocess.run(cmd, input=raw, check=True, capture_output=True, timeout=120)
        with open(out, "rb") as fh:
            return fh.read()


def _size(params: dict[str, Any], default: tuple[int, int]) -> tuple[int, int]:
    size = params.get("size")
    if isinstance(size, str) and "x" in size.lower():
        try:
            w, h = (int(v) for v in size.lower().split("x", 1))
            scale = max(w, h) / max(default)
            return max(16, int(w / scale)) // 2 * 2, max(16, int(h / scale)) // 2 * 2
        except ValueError:
            pass
    return default


def make(kind: str, model: str, params: dict[str, Any]) -> tuple[bytes, str, str]:
    """(bytes, extension, content type) for a task of ``kind``: real, playable media, made
    once per kind, size and length and shared by every task that asks for the same."""
    if kind == "video":
        duration = params.get("duration") or params.get("durationSeconds") or 2
        try:
            seconds = round(min(max(float(duration), 1.0), 10.0))
        except (TypeError, ValueError):
            seconds = 2
        return _made("video", _size(params, (96, 64)), seconds)
    if kind == "audio":
        return _made("audio", (0, 0), 0)
    if kind == "text":
        body = json.dumps({"text": f"sandbox result for {model}"})
        return body.encode(), "json", "application/json"
    return _made("image", _size(params, (128, 128)), 0)


@functools.lru_cache(maxsize=64)
def _made(kind: str, size: tuple[int, int], seconds: int) -> tuple[bytes, str, str]:
    seed = digest(kind, {"size": list(size), "seconds": seconds})
    if kind == "video":
        return mp4(size[0], size[1], float(seconds), seed), "mp4", "video/mp4"
    if kind == "audio":
        return wav(1.5, seed), "wav", "audio/wav"
    return png(size[0], size[1], seed), "png", "image/png"
