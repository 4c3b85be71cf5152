"""G.711 μ-law helpers for the SIMULATED realtime model (8 kHz, 1 byte per sample).

The simulator never synthesises words: its "voice" is a steady two-tone waveform whose
only job is to be clearly non-silent for the carrier, the bridge and the VAD, and to
last as long as the line it stands for (~60 ms per character).

We decode with our own 256-entry table rather than ``audioop``: ``audioop`` is
deprecated and gone in Python 3.13, and a table is the classic way to decode G.711.
"""

from __future__ import annotations

import math
from typing import Final

SAMPLE_RATE: Final = 8000
BYTES_PER_MS: Final = SAMPLE_RATE // 1000  # μ-law: one byte per sample
FRAME_MS: Final = 20
FRAME_BYTES: Final = FRAME_MS * BYTES_PER_MS  # 160 bytes, the telephony packet size
MS_PER_CHARACTER: Final = 60
SILENCE_BYTE: Final = 0xFF  # μ-law encoding of 0

_BIAS: Final = 0x84
_CLIP: Final = 32635


def _decode_byte(value: int) -> int:
    value = ~value & 0xFF
    sign = value & 0x80
    exponent = (value >> 4) & 0x07
    mantissa = value & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -magnitude if sign else magnitude


# Index by the μ-law byte to get the signed 16-bit linear sample.
ULAW_TO_LINEAR: Final[tuple[int, ...]] = tuple(_decode_byte(b) for b in range(256))


def encode_sample(sample: int) -> int:
    """Encode one signed 16-bit sample as a μ-law byte (ITU-T G.711)."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not magnitude & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def decode(mulaw: bytes) -> list[int]:
    """μ-law bytes to signed 16-bit linear samples."""
    return [ULAW_TO_LINEAR[b] for b in mulaw]


def mean_abs_level(mulaw: bytes) -> float:
    """Mean absolute linear amplitude: the simple energy measure our VAD thresholds."""
    if not mulaw:
        return 0.0
    return sum(abs(ULAW_TO_LINEAR[b]) for b in mulaw) / len(mulaw)


def _tone_frame() -> bytes:
    # 200 Hz and 450 Hz both complete whole periods in 20 ms at 8 kHz, so one frame
    # repeats seamlessly: no clicks at frame edges and no per-call synthesis cost.
    samples = []
    for n in range(FRAME_BYTES):
        t = n / SAMPLE_RATE
        value = 5000 * math.sin(2 * math.pi * 200 * t) + 2500 * math.sin(2 * math.pi * 450 * t)
        samples.append(encode_sample(round(value)))
    return bytes(samples)


TONE_FRAME: Final = _tone_frame()
SILENCE_FRAME: Final = bytes([SILENCE_BYTE]) * FRAME_BYTES


def speaking_duration_ms(text: str) -> int:
    """How long a line takes to "say": ~60 ms per character, at least one frame."""
    return max(FRAME_MS, MS_PER_CHARACTER * len(text))


def tone_frames(duration_ms: int) -> list[bytes]:
    """Non-silent 20 ms μ-law frames covering ``duration_ms`` (rounded up)."""
    return [TONE_FRAME] * max(1, -(-duration_ms // FRAME_MS))


def silence_frames(duration_ms: int) -> list[bytes]:
    """Silent 20 ms μ-law frames covering ``duration_ms`` (rounded up)."""
    return [SILENCE_FRAME] * max(1, -(-duration_ms // FRAME_MS))
