# Multi-stage: build a static binary, ship it on distroless as a non-root user.
# docker build --build-arg VERSION=1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) \
#   --build-arg DATE=$(date -u +%FT%TZ) -t parley .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION="" COMMIT="" DATE=""
RUN CGO_ENABLED=0 go build -trimpath -o /parley \
    -ldflags "-s -w -X github.com/parleyhq/parley/internal/version.Version=${VERSION} -X github.com/parleyhq/parley/internal/version.Commit=${COMMIT} -X github.com/parleyhq/parley/internal/version.Date=${DATE}" \
    ./cmd/parley

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /parley /usr/local/bin/parley
USER nonroot:nonroot
ENV HOME=/home/nonroot
EXPOSE 8080
# Readiness for `docker run` and Swarm; distroless has no wget or curl, so the binary
# probes itself. A server started with another --addr needs --url to match.
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/parley", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/parley"]
# The web UI and HTTP API; `docker run IMAGE --version` prints the stamps.
CMD ["serve", "--addr", "0.0.0.0:8080"]
