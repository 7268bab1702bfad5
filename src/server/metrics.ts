/**
 * Prometheus metrics in the text exposition format (version 0.0.4), with TEI's metric names where
 * TEI has one (`te_request_count`, `te_queue_size`, `te_batch_next_size`, ...) so that TEI
 * dashboards work unchanged. Durations in seconds, sizes in inputs, lengths in tokens.
 *
 * @example
 * metrics.requestCount.inc({ method: "batch" });
 * metrics.render(); // "# TYPE te_request_count counter\nte_request_count{method=\"batch\"} 1\n..."
 */

type Labels = Readonly<Record<string, string>>;

interface Metric {
  render(): string;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  /** Current value for these labels (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${formatValue(v)}`);
    return lines.join("\n");
  }
}

/** A gauge read when scraped. */
export class Gauge implements Metric {
  constructor(readonly name: string, readonly help: string, private readonly read: () => number) {}

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${formatValue(this.read())}`].join("\n");
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= (this.buckets[i] as number)) this.counts[i] = (this.counts[i] as number) + 1;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${formatValue(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${formatValue(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines.join("\n");
  }
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const powersOf2 = (max: number): number[] => Array.from({ length: Math.log2(max) + 1 }, (_, i) => 2 ** i);

/** Every metric the server exports. Gauges read live state through the callbacks given. */
export class ServerMetrics {
  readonly requestCount = new Counter("te_request_count", "Inference requests received, by method (single / batch)");
  readonly requestSuccess = new Counter("te_request_success", "Inference requests answered with 200, by method");
  readonly requestFailure = new Counter("te_request_failure", "Requests that failed, by error kind");
  readonly httpResponses = new Counter("sbert_http_responses", "HTTP responses sent, by route and status");
  readonly cancelled = new Counter("sbert_inputs_dropped_before_compute", "Queued inputs dropped because their client disconnected");
  readonly skippedInBatch = new Counter("sbert_inputs_skipped_in_batch", "Batched inputs not computed because their client disconnected before their group ran");
  readonly batchSize = new Histogram("te_batch_next_size", "Inputs per batch", powersOf2(1024));
  readonly batchTokens = new Histogram("te_batch_next_tokens", "Tokens per batch", powersOf2(65536));
  readonly batchDuration = new Histogram("te_batch_inference_duration", "Seconds to compute one batch", SECONDS);
  readonly inputLength = new Histogram("te_request_input_length", "Tokens per input", powersOf2(8192));
  readonly requestDuration = new Histogram("te_request_duration", "Seconds from request start to response", SECONDS);
  readonly tokenizationDuration = new Histogram("te_request_tokenization_duration", "Seconds spent validating and tokenizing", SECONDS);
  readonly queueDuration = new Histogram("te_request_queue_duration", "Seconds queued before the first batch", SECONDS);
  readonly inferenceDuration = new Histogram("te_request_inference_duration", "Seconds from first batch to last result", SECONDS);
  private readonly gauges: Gauge[];

  constructor(live: { queueSize: () => number; inFlight: () => number }) {
    this.gauges = [
      new Gauge("te_queue_size", "Inputs waiting in the batching queue", live.queueSize),
      new Gauge("sbert_requests_in_flight", "Requests admitted and not yet answered", live.inFlight),
      new Gauge("process_resident_memory_bytes", "Resident set size of the server process", () => process.memoryUsage.rss()),
    ];
  }

  render(): string {
    const all: Metric[] = [
      this.requestCount, this.requestSuccess, this.requestFailure, this.httpResponses, this.cancelled, this.skippedInBatch,
      ...this.gauges,
      this.batchSize, this.batchTokens, this.batchDuration, this.inputLength,
      this.requestDuration, this.tokenizationDuration, this.queueDuration, this.inferenceDuration,
    ];
    return `${all.map((m) => m.render()).join("\n")}\n`;
  }
}
