# The loanflow image: API, worker and simulators (one image, three commands).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
 && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund && npm run vendor; fi
ENV LOANFLOW_MODE=production LOANFLOW_DATA_DIR=/var/lib/loanflow
EXPOSE 8000
CMD ["loanflow", "api"]
