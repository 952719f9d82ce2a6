package tracing

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Enabled reports whether env asks for traces: an OTLP endpoint is set (for all
// signals or for traces) and the SDK is not disabled.
func Enabled(env func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(env("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(env("OTEL_TRACES_EXPORTER")), "none") {
		return false
	}
	return env("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup returns a Tracer exporting over OTLP/HTTP as the standard variables say
// (endpoint, headers, timeout, compression: the exporter reads them itself from the
// process environment), and the function that flushes and stops it. When env asks
// for no traces (see Enabled) it returns nil and a no-op: nothing is started.
//
// version is parley's, recorded as service.version; OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES override the defaults.
func Setup(ctx context.Context, env func(string) string, version string) (*Tracer, func(context.Context) error, error) {
	if !Enabled(env) {
		return nil, func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: the OTLP exporter (check OTEL_EXPORTER_OTLP_ENDPOINT): %w", err)
	}
	res, err := resource.Merge(
		resource.NewSchemaless(attribute.String("service.name", "parley"), attribute.String("service.version", version)),
		resource.Environment()) // the variables win
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return New(tp), tp.Shutdown, nil
}
