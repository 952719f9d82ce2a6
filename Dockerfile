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
ENTRYPOINT ["/usr/local/bin/parley"]
# The web UI and HTTP API; `docker run IMAGE --version` prints the stamps.
CMD ["serve", "--addr", "0.0.0.0:8080"]
