"""The HTTP gateway: `kafkatask gateway -A app` (see docs/gateway.md).

Serves an App's tasks over HTTP in LangServe's wire format (`/NAME/invoke`, `/batch`,
`/stream`, `/stream_events`, the schemas), so `langserve.RemoteRunnable` and any HTTP client
reach them, with streams every gateway process can resume (SSE event ids, `GET
/NAME/stream/{task_id}`), a WebSocket endpoint, and API keys with per-task rights and rates.
It is a client of the workers: it sends tasks through the App and runs none itself.
"""

from kafkatask.gateway.application import create_app
from kafkatask.gateway.keys import ApiKey, KeyRing
from kafkatask.gateway.services import Gateway
from kafkatask.gateway.settings import GatewaySettings

__all__ = ["ApiKey", "Gateway", "GatewaySettings", "KeyRing", "create_app"]
