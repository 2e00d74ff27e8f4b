#!/usr/bin/env python3
"""Turns make bench's JSON figures (bench/run's work directory) into Markdown.

Usage:
  bench/write_docs.py tables WORK               print the fan-out and memory tables of a run
  bench/write_docs.py docs REPORT.md WORK CHART rewrite the latest-run block of
                                                docs/BENCHMARKS.md and the whole of
                                                docs/TRANSPORTS.md
WORK holds, per target (herald, nchan): TARGET-fanout.json (every transport at 10 msg/s),
TARGET-ws100.json (ws at 100 msg/s), TARGET-streams.json (sse, stream and ws at 1,000 msg/s),
TARGET-max.json (sse and ws as fast as accepted), and herald-idle.json,
herald-idle-streams.json, nchan-idle.json, nchan-idle-ws.json (memory per idle connection).
"""
import json
import pathlib
import shutil
import sys

BEGIN = "<!-- make bench: latest run, begin -->"
END = "<!-- make bench: latest run, end -->"
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def load(work, name):
    """The runs of one JSON report, by transport; {} when the file is missing or empty."""
    path = pathlib.Path(work) / f"{name}.json"
    try:
        return {run["transport"]: run for run in json.loads(path.read_text())["runs"]}
    except (OSError, ValueError, KeyError):
        return {}


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def lost_dup_ooo(run):
    return f"{run['lost']} / {run['duplicated']} / {run['out_of_order']}"


def fanout_table(title, herald, nchan, columns):
    """A row per target and transport; the last column compares Herald's figure with Nchan's."""
    head, key, compare = columns
    lines = [f"| {title} | {' | '.join(head)} | {compare[0]} |",
             "| --- |" + " ---: |" * (len(head) + 1)]
    for name, runs in (("Herald", herald), ("Nchan", nchan)):
        for transport, run in runs.items():
            other = nchan.get(transport)
            if name == "Nchan":
                versus = "1"
            else:
                versus = ratio(compare[1](run), compare[1](other)) if other else "-"
            lines.append(f"| {name}, {transport} | {' | '.join(key(run))} | {versus} |")
    return lines


def polling_row(run):
    lat = run["latency"]
    return [f"{run['deliveries']}/{run['expected_deliveries']}", f"{lat['p50_ms']:.2f}",
            f"{lat['p99_ms']:.2f}", f"{lat['max_ms']:.2f}", str(run["lost"]),
            f"{run['bytes_in_per_delivery']:.0f}", f"{run['requests_per_delivery']:.2f}",
            f"{run.get('server_cpu_seconds_per_million', 0):.1f}"]


def load_row(run):
    lat = run["latency"]
    return [f"{run['published_per_second']:.0f}", f"{run['deliveries']}/{run['expected_deliveries']}",
            f"{run['deliveries_per_second']:.0f}", f"{lat['p50_ms']:.1f}", f"{lat['p99_ms']:.1f}",
            f"{lat['max_ms']:.1f}", lost_dup_ooo(run), f"{run['bytes_in_per_delivery']:.0f}",
            f"{run.get('server_cpu_us_per_delivery', 0):.2f}",
            f"{run.get('tcp_segments_per_delivery', 0):.2f}"]


POLLING = (["delivered", "p50 ms", "p99 ms", "max ms", "lost", "bytes in / msg", "requests / msg",
            "server CPU s / M"], polling_row, ("p50 Herald / Nchan", lambda r: r["latency"]["p50_ms"]))
LOAD = (["published msg/s", "delivered", "deliveries/s", "p50 ms", "p99 ms", "max ms",
         "lost / dup / out of order", "bytes in / msg", "server CPU µs / delivery",
         "TCP segments / delivery"], load_row,
        ("deliveries/s Herald / Nchan", lambda r: r["deliveries_per_second"]))
# The same columns where the rate is well within reach of both: latency is what differs.
LATENCY = (LOAD[0], LOAD[1], ("p50 Herald / Nchan", lambda r: r["latency"]["p50_ms"]))


def idle_rows(work):
    rows = []
    for target, name in (("Herald", "herald-idle"), ("Herald", "herald-idle-streams"),
                         ("Nchan", "nchan-idle"), ("Nchan", "nchan-idle-ws")):
        for transport, run in load(work, name).items():
            rows.append((target, transport, run))
    return rows


def tables(work):
    herald, nchan = load(work, "herald-fanout"), load(work, "nchan-fanout")
    subscribers = next(iter(herald.values()), {}).get("subscribers", 0)
    lines = fanout_table(f"fan-out, {subscribers} subscribers, 10 msg/s", herald, nchan, POLLING)
    lines.append("")
    lines += fanout_table(f"WebSocket fan-out, {subscribers} subscribers, 100 msg/s",
                          load(work, "herald-ws100"), load(work, "nchan-ws100"), LATENCY)
    lines.append("")
    lines += fanout_table(f"SSE, stream and WebSocket fan-out, {subscribers} subscribers, "
                          "1000 msg/s asked",
                          load(work, "herald-streams"), load(work, "nchan-streams"), LOAD)
    lines.append("")
    lines += fanout_table(f"SSE and WebSocket fan-out, {subscribers} subscribers, as fast as "
                          "accepted", load(work, "herald-max"), load(work, "nchan-max"), LOAD)
    lines += ["", "| idle connections | connections | server memory per connection |",
              "| --- | ---: | ---: |"]
    for target, transport, run in idle_rows(work):
        lines.append(f"| {target}, {transport} | {run['established']} "
                     f"| {run.get('bytes_per_connection', 0):.0f} B |")
    return "\n".join(lines)


def transports_doc(heading, work):
    herald, nchan = load(work, "herald-fanout"), load(work, "nchan-fanout")
    memory = {transport: run.get("bytes_per_connection")
              for target, transport, run in idle_rows(work) if target == "Herald"}
    loaded = load(work, "herald-streams")
    loaded_nchan = load(work, "nchan-streams")
    fastest, fastest_nchan = load(work, "herald-max"), load(work, "nchan-max")
    most, most_nchan = fastest.get("sse"), fastest_nchan.get("sse")
    ws100, ws100_nchan = load(work, "herald-ws100"), load(work, "nchan-ws100")
    subscribers = next(iter(herald.values()), {}).get("subscribers", 0)

    def row(name, how, key):
        run = herald.get(key)
        if run is None:
            return f"| {name} | {how} | not built yet | | | | | |"
        lat = run["latency"]
        other = nchan.get(key)
        mem = memory.get(key)
        return (f"| {name} | {how} | {lat['p50_ms']:.1f} / {lat['p99_ms']:.1f} | "
                f"{run['bytes_in_per_delivery']:.0f} + {run['bytes_out_per_delivery']:.0f} | "
                f"{run['requests_per_delivery']:.2f} | "
                f"{run.get('server_cpu_seconds_per_million', 0):.1f} | "
                f"{f'{mem:.0f} B' if mem else '-'} | "
                f"{ratio(lat['p50_ms'], other['latency']['p50_ms']) if other else '-'} |")

    lines = [
        "# Transports, measured",
        "",
        "Generated by `make bench` (`bench/write_docs.py`); do not edit by hand.",
        f"Run: {heading}. Fan-out: {subscribers} subscribers of one channel, 10 messages a "
        "second, short polls every second; the same client against Nchan in the same run "
        "(its EventSource, http-raw-stream and websocket subscribers for SSE, streaming and "
        "WebSocket).",
        "",
        "| transport | how a message reaches B | latency p50 / p99 ms | bytes per message, in + out "
        "| requests per message | server CPU s per million | server memory per idle connection "
        "| p50 Herald / Nchan |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        row("short polling", "B asks every interval; answers with everything new", "poll"),
        row("long polling", "B's request is held until a message arrives", "longpoll"),
        row("Server-Sent Events", "one response, an event per message", "sse"),
        row("HTTP streaming", "one chunked response, a JSON line per message", "stream"),
        row("WebSocket", "one connection both ways, a frame per message", "ws"),
        "",
        "![Share of deliveries within a latency](transports-latency.svg)",
        "",
    ]
    if loaded:
        lines += ["## Under load", "",
                  f"The same {subscribers} subscribers with 1,000 messages a second asked for, "
                  "and SSE and WebSocket with messages published as fast as the server accepts "
                  "them (`--rate "
                  "0`: 16 pipelined publishes in flight on one connection, pausing while the "
                  "slowest subscriber is 256 messages behind). Server and load generator share "
                  "the machine: a run that cannot keep up publishes fewer messages a second than "
                  "asked, and its latency, counted from when each publish was made, is mostly "
                  "queueing. Compare deliveries a second and CPU per delivery. TCP segments are "
                  "every segment the host sent (/proc/net/snmp OutSegs: both ends of loopback, "
                  "ACKs and the publisher's included) per delivery.", ""]
        lines += fanout_table("transport", loaded, loaded_nchan, LOAD)
        for transport, run in fastest.items():  # more rows of the same table
            key = f"{transport}, as fast as accepted"
            other = fastest_nchan.get(transport)
            lines += fanout_table("", {key: run}, {key: other} if other else {}, LOAD)[2:]
        lines.append("")
    if ws100:
        lines += [f"WebSocket at 100 messages a second to the same {subscribers} subscribers, "
                  "well within reach of both servers: latency is what differs.", ""]
        lines += fanout_table("transport, 100 msg/s", ws100, ws100_nchan, LATENCY)
        lines.append("")
    lines += ["## What the rumours said, and what was measured", ""]
    lines += rumours(herald, subscribers, fastest, fastest_nchan)
    lines += [
        "",
        "## When to choose which",
        "",
        "- **WebSocket** when the client also publishes often, or needs presence: one connection "
        "both ways.",
        "- **Server-Sent Events** for browsers that only listen: automatic reconnect with "
        "`Last-Event-ID`, works through most proxies.",
        "- **HTTP streaming** for non-browser clients that read a response line by line.",
        "- **Long polling** where streaming responses are cut by a proxy, or for clients that can "
        "only make plain requests: latency stays in milliseconds.",
        "- **Short polling** for dashboards and batch consumers that can wait a few seconds: the "
        "cheapest on the server per message when messages are frequent, the most wasteful when "
        "they are rare.",
        "",
    ]
    return "\n".join(lines)


def rumours(herald, subscribers, fastest, fastest_nchan):
    poll, longpoll, sse = herald.get("poll"), herald.get("longpoll"), herald.get("sse")
    ws = herald.get("ws")
    lines = []
    if poll and longpoll:
        lines += [
            f"- \"Long polling: 100 ms to 5 s.\" Measured: {longpoll['latency']['p50_ms']:.1f} ms "
            f"p50, {longpoll['latency']['p99_ms']:.1f} ms p99 from publish to receipt, with "
            f"{subscribers} clients held at once. The seconds come from clients that wait before "
            "asking again, not from the technique.",
            f"- \"Short polling wastes 95% of bandwidth.\" Measured: "
            f"{poll['requests_per_delivery']:.2f} requests and {poll['bytes_in_per_delivery']:.0f} "
            "bytes per delivered message at one poll a second and 10 messages a second, because "
            "one poll returns every new message. The waste grows as messages get rarer than "
            "polls; the price is latency: half the interval on average "
            f"({poll['latency']['p50_ms']:.0f} ms p50 here).",
        ]
    if sse and longpoll:
        lines.append(
            f"- Per message, SSE took "
            f"{sse['bytes_in_per_delivery']:.0f} bytes and "
            f"{sse.get('server_cpu_seconds_per_million', 0):.1f} s of server CPU per million "
            f"deliveries against long polling's {longpoll['bytes_in_per_delivery']:.0f} bytes and "
            f"{longpoll.get('server_cpu_seconds_per_million', 0):.1f} s: no request, no headers "
            "per message, one response for them all.")
    if ws and sse:
        lines.append(
            f"- A WebSocket delivery took {ws['bytes_in_per_delivery']:.0f} bytes against SSE's "
            f"{sse['bytes_in_per_delivery']:.0f} (a frame header of 2 to 4 bytes and a "
            "`\"type\":\"message\"` field instead of SSE's `id:`, `event:` and `data:` "
            f"lines), {ws['latency']['p50_ms']:.1f} ms p50 and "
            f"{ws.get('server_cpu_seconds_per_million', 0):.1f} s of server CPU per million.")
    names = {"sse": "SSE", "ws": "WebSocket"}
    for transport, most in fastest.items():
        most_nchan = fastest_nchan.get(transport)
        if not most_nchan:
            continue
        lines.append(
            f"- As fast as it goes, on cores shared with the client of the {subscribers} "
            f"subscribers: Herald {most['deliveries_per_second']:.0f} "
            f"{names.get(transport, transport)} deliveries a second, Nchan "
            f"{most_nchan['deliveries_per_second']:.0f}; lost: {most['lost']} and "
            f"{most_nchan['lost']}.")
    return lines


def docs(report_path, work, chart_path):
    report = pathlib.Path(report_path).read_text()
    heading = report.splitlines()[0].lstrip("# ").strip()
    benchmarks = DOCS / "BENCHMARKS.md"
    text = benchmarks.read_text()
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        benchmarks.write_text(f"{before}{BEGIN}\n{report.strip()}\n{END}{after}")
    shutil.copyfile(chart_path, DOCS / "transports-latency.svg")
    (DOCS / "TRANSPORTS.md").write_text(transports_doc(heading, work))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "tables":
        print(tables(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "docs":
        docs(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
