"""QR images of ticket codes, made by segno (pure Python, writes SVG and PNG)."""

import segno


def qr_images(code):
    """{"svg": data URI, "png": data URI} of a QR holding `code` (error correction M:
    15% of the symbol may be damaged; segno raises it when that costs no extra size)."""
    qr = segno.make_qr(code, error="m")
    return {
        "svg": qr.svg_data_uri(scale=4, border=4),
        "png": qr.png_data_uri(scale=4, border=4),
    }

