/* Dashboard charts (Apache ECharts from static/vendor). The data comes from the page
   (json_script "dashboard-data"); every label in it is already translated by the server. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var RED = "#9b1b1f", GOLD = "#f2c14e", GREY = "#adb5bd";
  var charts = [];

  function rowsUrl(figure) { return data.rows_url.replace("FIGURE", encodeURIComponent(figure)); }

  function init(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    // Drawn to the end (its animation, if any, finished): what a screenshot should wait for.
    // Listened to before the first drawing, which may finish at once.
    chart.on("finished", function () { el.dataset.drawn = "true"; });
    chart.setOption(option);
    if (onClick) { chart.on("click", onClick); }
    charts.push(chart);
    el.dataset.rendered = "true";
    return chart;
  }

  var narrow = window.matchMedia("(max-width: 575.98px)").matches;

  // Trend per month: new members and activities as bars, attendance as a line on its own axis.
  var trend = data.trend;
  init("chart-trend", {
    color: [RED, GOLD, "#5470c6"],
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { fontSize: narrow ? 10 : 12 } },
    grid: { left: 8, right: 8, bottom: 8, top: narrow ? 48 : 36, containLabel: true },
    xAxis: { type: "category", data: trend.months, axisLabel: { fontSize: 10 } },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }],
    series: [
      { name: trend.series[0].name, type: "bar", data: trend.series[0].data },
      { name: trend.series[1].name, type: "bar", data: trend.series[1].data },
      { name: trend.series[2].name, type: "line", yAxisIndex: 1, smooth: true, data: trend.series[2].data }
    ]
  }, function (params) {
    // A month's bar or point lists its new members or its activities.
    var figure = params.seriesIndex === 0 ? "members_new" : "activities";
    window.location = data.rows_base.replace("FIGURE", figure) + "?period=" + encodeURIComponent(trend.months[params.dataIndex]);
  });

  // Coverage of enterprises: a click on a slice lists the enterprises behind it.
  var enterprises = data.coverage.reduce(function (sum, slice) { return sum + slice.value; }, 0);
  init("chart-coverage", {
    color: [RED, GOLD, GREY],
    title: enterprises ? undefined : { text: data.labels.no_enterprises, left: "center", top: "40%",
                                       textStyle: { fontSize: 13, fontWeight: "normal", color: "#6c757d" } },
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    legend: { bottom: 0, textStyle: { fontSize: 11 } },
    series: [{
      type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"], stillShowZeroSum: false,
      label: { formatter: "{c}", fontSize: 12 },
      data: data.coverage
    }]
  }, function (params) { if (params.data && params.data.figure) { window.location = rowsUrl(params.data.figure); } });

  // Members by stage, in pipeline order.
  init("chart-stages", {
    color: [RED],
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, bottom: 8, top: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.stages.map(function (s) { return s.label; }) },
    series: [{ type: "bar", data: data.stages.map(function (s) { return s.value; }), label: { show: true, position: "right" } }]
  }, function (params) { window.location = rowsUrl(data.stages[params.dataIndex].figure); });

  // 三会一课 compliance: one line per branch (weakest first), one column per rule; a click opens the
  // branch. The section arrives by htmx after the page (it is the slow part over many branches).
  function initHeatmap() {
    var source = document.getElementById("heatmap-data");
    var el = document.getElementById("chart-heatmap");
    if (!source || !el || el.dataset.rendered) { return; }
    var heat = JSON.parse(source.textContent);
    var labels = JSON.parse(document.getElementById("heatmap-labels").textContent);
    if (!heat.y.length) { return; }
    // A line of 28 px a branch, plus the rules' names under them (rotated: about 90 px).
    el.style.height = (100 + heat.y.length * 28) + "px";
    function openBranch(index) {
      if (index !== undefined && index !== null && index >= 0 && heat.urls[index]) { window.location = heat.urls[index]; }
    }
    var chart = init("chart-heatmap", {
      tooltip: {
        position: "top",
        formatter: function (p) {
          var d = p.value, v = d[2];
          var text = d[3] === "na" ? labels.not_applicable : (d[3] === "none" ? labels.no_data : v + "%");
          return heat.y[d[1]] + "<br>" + heat.x[d[0]] + ": " + text;
        }
      },
      grid: { left: 8, right: 8, top: 8, bottom: 4, containLabel: true },
      xAxis: { type: "category", data: heat.x, splitArea: { show: true },
               axisLabel: { interval: 0, rotate: narrow ? 60 : 30, fontSize: 10 } },
      yAxis: { type: "category", data: heat.y, inverse: true, splitArea: { show: true },
               axisLabel: { fontSize: 11, width: narrow ? 90 : 200, overflow: "truncate" },
               triggerEvent: true },
      // The colour scale paints the first series only; cells with no period ended yet are the
      // second (light, "–"), "na" cells the third (grey): every cell of the grid is drawn.
      visualMap: { min: 0, max: 100, show: false, seriesIndex: 0,
                   inRange: { color: ["#d73027", "#fee08b", "#1a9850"] } },
      series: [{
        name: labels.compliance, type: "heatmap",
        data: heat.data.filter(function (d) { return d[3] !== "na" && d[2] !== null; })
          .map(function (d) { return [d[0], d[1], d[2]]; }),
        label: { show: !narrow, fontSize: 10 },
        itemStyle: { borderColor: "#fff", borderWidth: 1 }
      }, {
        // No period of the rule has ended yet (a yearly rule early in the year): nothing to rate.
        name: labels.no_data, type: "heatmap",
        data: heat.data.filter(function (d) { return d[3] !== "na" && d[2] === null; })
          .map(function (d) { return [d[0], d[1], 0, "none"]; }),
        label: { show: !narrow, fontSize: 10, color: "#6c757d", formatter: function () { return "–"; } },
        itemStyle: { color: "#f8f9fa", borderColor: "#dee2e6", borderWidth: 1 }
      }, {
        // A rule that does not bind the branch (no committee, no party groups): not applicable.
        name: labels.not_applicable, type: "heatmap",
        data: heat.data.filter(function (d) { return d[3] === "na"; })
          .map(function (d) { return [d[0], d[1], 0, "na"]; }),
        label: { show: !narrow, fontSize: 10, color: "#6c757d", formatter: function () { return labels.na; } },
        itemStyle: { color: "#e9ecef", borderColor: "#fff", borderWidth: 1 }
      }]
    }, function (params) {
      // A branch's name on the axis opens the branch.
      if (params.componentType === "yAxis") { openBranch(heat.y.indexOf(params.value)); }
    });
    // Any point of a branch's line opens it, an empty cell ("–") included.
    chart.getZr().on("click", function (event) {
      var point = [event.offsetX, event.offsetY];
      if (!chart.containPixel({ gridIndex: 0 }, point)) { return; }
      var cell = chart.convertFromPixel({ gridIndex: 0 }, point);
      if (cell) { openBranch(cell[1]); }
    });
  }
  initHeatmap();
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "dashboard-compliance") { initHeatmap(); }
  });

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
