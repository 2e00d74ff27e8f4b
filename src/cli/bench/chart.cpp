#include "cli/bench/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace herald::cli::bench {

namespace {

constexpr double kWidth = 760, kHeight = 420, kLeft = 70, kRight = 170, kTop = 40, kBottom = 50;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                   "#ff7f0e", "#9467bd", "#8c564b"};

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

}  // namespace

std::string latency_chart_svg(std::vector<FanoutResult>& results) {
    // x from 0.1 ms to the largest max, logarithmic.
    double max_ms = 1;
    for (auto& r : results)
        max_ms = std::max(max_ms, static_cast<double>(r.latency.max()) / 1000);
    const double low = std::log10(0.1);
    const double high = std::ceil(std::log10(max_ms));
    const double plot_width = kWidth - kLeft - kRight;
    const double plot_height = kHeight - kTop - kBottom;
    auto x_of = [&](double ms) {
        return kLeft + (std::log10(std::max(ms, 0.1)) - low) / (high - low) * plot_width;
    };
    auto y_of = [&](double share) { return kTop + (1 - share) * plot_height; };

    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kWidth) +
                      "\" height=\"" + number(kHeight) +
                      "\" font-family=\"sans-serif\" font-size=\"12\">\n"
                      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                      "<text x=\"" +
                      number(kLeft) +
                      "\" y=\"24\" font-size=\"15\">"
                      "Share of deliveries within a latency (publish to receipt)</text>\n";
    // Axes and grid: decades on x, quarters on y.
    for (double decade = low; decade <= high + 1e-9; decade += 1) {
        const double x = kLeft + (decade - low) / (high - low) * plot_width;
        const double ms = std::pow(10, decade);
        svg += "<line x1=\"" + number(x) + "\" y1=\"" + number(kTop) + "\" x2=\"" + number(x) +
               "\" y2=\"" + number(kTop + plot_height) + "\" stroke=\"#ddd\"/>\n";
        char label[32];
        std::snprintf(label, sizeof label, ms < 1 ? "%.1f ms" : "%.0f ms", ms);
        svg += "<text x=\"" + number(x) + "\" y=\"" + number(kTop + plot_height + 18) +
               "\" text-anchor=\"middle\">" + label + "</text>\n";
    }
    for (int quarter = 0; quarter <= 4; ++quarter) {
        const double y = y_of(quarter / 4.0);
        svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(y) + "\" x2=\"" +
               number(kLeft + plot_width) + "\" y2=\"" + number(y) + "\" stroke=\"#ddd\"/>\n";
        svg += "<text x=\"" + number(kLeft - 8) + "\" y=\"" + number(y + 4) +
               "\" text-anchor=\"end\">" + std::to_string(quarter * 25) + "%</text>\n";
    }
    // A line per run, from percentiles 0 to 100.
    for (std::size_t i = 0; i < results.size(); ++i) {
        FanoutResult& r = results[i];
        if (r.latency.count() == 0) continue;
        const char* color = kColors[i % std::size(kColors)];
        std::string points;
        for (int step = 0; step <= 1000; ++step) {
            const double share = step / 1000.0;
            const double ms = static_cast<double>(r.latency.percentile(share * 100)) / 1000;
            points += number(x_of(ms)) + "," + number(y_of(share)) + " ";
        }
        svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(color) +
               "\" points=\"" + points + "\"/>\n";
        const double legend_y = kTop + 16 + static_cast<double>(i) * 20;
        svg += "<line x1=\"" + number(kWidth - kRight + 15) + "\" y1=\"" + number(legend_y - 4) +
               "\" x2=\"" + number(kWidth - kRight + 35) + "\" y2=\"" + number(legend_y - 4) +
               "\" stroke-width=\"3\" stroke=\"" + color + "\"/>\n";
        svg += "<text x=\"" + number(kWidth - kRight + 40) + "\" y=\"" + number(legend_y) + "\">" +
               r.target + " " + r.transport + "</text>\n";
    }
    svg += "</svg>\n";
    return svg;
}

}  // namespace herald::cli::bench
