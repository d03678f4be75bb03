"""Opening a Relay socket with a Bearer token, for websockets 10 through 14+."""

import websockets


async def connect(url, token):
    headers = {"Authorization": f"Bearer {token}"}
    try:  # websockets >= 14
        return await websockets.connect(url, additional_headers=headers)
    except TypeError:  # websockets 10-13
        return await websockets.connect(url, extra_headers=headers)
