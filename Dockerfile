# The kafkatask image: the package and the examples, for the worker and dashboard services.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY kafkatask ./kafkatask
COPY examples ./examples
RUN pip install --no-cache-dir ".[examples]"
ENV PYTHONUNBUFFERED=1
CMD ["kafkatask", "--help"]
