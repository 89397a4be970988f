"""The gateway's routes, one module per concern (application.py puts them together):

- pages.py: the API page, the OpenAPI document, the health check;
- runs.py: `/NAME/invoke`, `/NAME/batch`, and a result read back after a 504;
- streams.py: `/NAME/stream`, `/NAME/stream_events` and re-attaching to a stream, over SSE;
- schemas.py: `/NAME/input_schema`, `/output_schema`, `/config_schema`;
- websocket.py: `/NAME/ws`.
"""
