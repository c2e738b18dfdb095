/* carecircles: build the study map from its JSON data (carecircles/maps.py, MapData).

   Strings from input files (names, codes, types) reach the page only as JSON data and the DOM
   only as text (textContent, SVG attributes set one by one): never as HTML, script or template
   source. Layout: a summary banner (top left), a collapsible panel with the search box, the
   standard (radio buttons), the layers and the base map (top right), a collapsible legend built
   from what is visible (bottom left). Panes keep a fixed order whatever is toggled:
   zones < covered areas < outline < roads < villages < facilities < proposed sites < labels. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var PANES = [["cc-zones", 410], ["cc-areas", 420], ["cc-outline", 430], ["cc-roads", 440],
               ["cc-villages", 450], ["cc-facilities", 610], ["cc-proposed", 620], ["cc-labels", 640]];
  var PHONE = "(max-width: 600px)";
  var LOW_ZOOM = 11;
  var MAX_RING = 8;  /* at most this many glyphs share one ring */  /* below it, village-level facility glyphs are drawn as small dots */

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
    return el;
  }

  function svgNode(tag, attrs) {
    var el = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    return el;
  }

  function popupNode(spec) {
    var box = node("div", "cc-popup");
    if (spec.title) box.appendChild(node("div", "cc-popup-title", spec.title));
    (spec.rows || []).forEach(function (row) {
      var line = node("div", "cc-popup-row");
      line.appendChild(node("span", "cc-popup-key", row[0] + ": "));
      line.appendChild(node("span", "cc-popup-value", row[1]));
      box.appendChild(line);
    });
    (spec.lines || []).forEach(function (text) { box.appendChild(node("div", "cc-popup-line", text)); });
    return box;
  }

  /* A facility or proposed-site marker: one character on a coloured square, circle or diamond. */
  function glyphNode(m) {
    var el = node("div", "cc-glyph cc-shape-" + (m.shape || "square") + " " + (m.cls || ""));
    var inner = node("span", "cc-glyph-text", m.glyph);
    el.appendChild(inner);
    el.style.background = m.background;
    el.style.color = m.color || "#ffffff";
    el.style.width = el.style.height = m.size + "px";
    el.style.lineHeight = m.size - 4 + "px";
    el.style.fontSize = Math.round(m.size * 0.6) + "px";
    el.style.border = m.border;
    return el;
  }

  /* A legend symbol drawn as on the map (same colours, opacity, stroke). */
  function swatchNode(item) {
    if (item.kind === "glyph") {
      var wrap = node("span", "cc-swatch cc-swatch-glyph");
      wrap.appendChild(glyphNode(item));
      return wrap;
    }
    var svg = svgNode("svg", {width: 26, height: 18, viewBox: "0 0 26 18", "class": "cc-swatch"});
    if (item.kind === "fill") {
      svg.appendChild(svgNode("rect", {x: 1.5, y: 1.5, width: 23, height: 15, fill: item.fill,
        "fill-opacity": item.opacity, stroke: item.color, "stroke-width": item.weight || 1.5,
        "stroke-dasharray": item.dash || "none"}));
    } else if (item.kind === "line") {
      svg.appendChild(svgNode("line", {x1: 1, y1: 9, x2: 25, y2: 9, stroke: item.color,
        "stroke-width": item.weight}));
    } else if (item.kind === "circle") {
      svg.appendChild(svgNode("circle", {cx: 13, cy: 9, r: item.radius, fill: item.fill,
        stroke: item.stroke, "stroke-width": 2}));
    } else if (item.kind === "ring") {
      svg.appendChild(svgNode("circle", {cx: 13, cy: 9, r: item.radius, fill: "none",
        stroke: item.stroke, "stroke-width": 3}));
    }
    return svg;
  }

  function pointLayer(pane) {
    return function (feature, latlng) {
      var m = feature.properties.marker || {kind: "circle"};
      if (m.kind === "glyph") {
        var half = Math.round(m.size / 2);
        return L.marker(latlng, {
          icon: L.divIcon({html: glyphNode(m), className: "cc-icon", iconSize: [m.size, m.size],
                           iconAnchor: [half, half]}),
          zIndexOffset: m.z || 0, keyboard: false, pane: pane, ccSize: m.size
        });
      }
      var options = {};
      Object.keys(m).forEach(function (k) { if (k !== "kind") options[k] = m[k]; });
      options.pane = pane;
      return L.circleMarker(latlng, options);
    };
  }

  function bind(feature, layer) {
    var p = feature.properties;
    if (p.popup) {
      layer.bindPopup(function () { return popupNode(p.popup); }, {minWidth: 220, maxWidth: 320});
    }
    if (p.tooltip !== undefined && p.tooltip !== null && p.tooltip !== "") {
      layer.bindTooltip(function () { return node("span", "cc-tooltip", p.tooltip); });
    }
    layer.ccFeature = feature;
  }

  function geoJson(features, pane, style) {
    return L.geoJSON({type: "FeatureCollection", features: features}, {
      pane: pane,
      style: style || function (f) { return f.properties.style || {}; },
      pointToLayer: pointLayer(pane),
      onEachFeature: bind
    });
  }

  function overlap(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function start(map, data) {
    var W = data.words, P = data.palette;
    var phone = window.matchMedia ? window.matchMedia(PHONE).matches : false;
    PANES.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
    map.getPane("cc-labels").style.pointerEvents = "none";
    var setGcj = window.carecirclesGcj02 ? window.carecirclesGcj02(map) : function () {};
    var byId = {}, standards = {}, current = null;
    data.standards.forEach(function (s) { standards[s.id] = s; });

    /* --- zones: one fill layer restyled per standard, an outline always on, labels ------------ */
    function zoneStyle(f) {
      var cls = current && f.properties.cls[current.id];
      if (!cls) return {pane: "cc-zones", color: "#555555", weight: 0, fillOpacity: 0, fill: true};
      if (cls === "no_people") {
        return {color: "#555555", weight: 1, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0};
      }
      return {color: P.colours[cls], weight: 0, fillColor: P.colours[cls], fillOpacity: P.opacity};
    }
    var zones = geoJson(data.zones, "cc-zones", zoneStyle).addTo(map);
    L.geoJSON({type: "FeatureCollection", features: data.zones}, {
      pane: "cc-outline", interactive: false,
      style: function () { return {color: "#1a1a1a", weight: 1.6, fill: false}; }
    }).addTo(map);
    zones.eachLayer(function (layer) { byId["zone:" + layer.ccFeature.id] = layer; });

    var labelMarkers = [];
    function labelMarker(at, kind, priority) {
      var box = node("div", "cc-label cc-label-" + kind);
      var m = L.marker([at[1], at[0]], {
        pane: "cc-labels", interactive: false, keyboard: false,
        icon: L.divIcon({html: box, className: "cc-label-icon", iconSize: null, iconAnchor: [0, 0]})
      });
      m.ccBox = box; m.ccPriority = priority; m.ccKind = kind;
      labelMarkers.push(m);
      return m;
    }
    var labels = L.layerGroup().addTo(map);
    data.zones.forEach(function (f) {
      var m = labelMarker(f.properties.at, "zone", 1e12 + f.properties.weight);
      m.ccZone = f;
      m.addTo(labels);
    });
    function setZoneLabels() {
      labelMarkers.forEach(function (m) {
        if (!m.ccZone) return;
        var p = m.ccZone.properties, box = m.ccBox;
        box.textContent = "";
        box.appendChild(node("span", "cc-label-name", p.name));
        var share = current && p.share[current.id];
        if (share) {
          var cls = p.cls[current.id];
          var s = node("span", "cc-label-share cc-" + cls, share);
          s.style.background = P.colours[cls];
          s.style.color = P.text[cls];
          box.appendChild(s);
        }
      });
    }

    /* --- standard-bound layers: uncovered areas and covered bands of the chosen standard ------ */
    var areaGroup = L.layerGroup(), bandGroup = L.layerGroup();
    var areaLayers = {}, bandLayers = {};
    data.standards.forEach(function (s) {
      areaLayers[s.id] = L.geoJSON({type: "FeatureCollection", features: s.areas}, {
        pane: "cc-areas", interactive: false, style: function (f) { return f.properties.style; }
      });
      bandLayers[s.id] = L.geoJSON({type: "FeatureCollection", features: s.bands.features}, {
        pane: "cc-areas", interactive: false, style: function (f) { return f.properties.style; }
      });
    });

    /* --- overlays ----------------------------------------------------------------------------- */
    var overlays = [];
    overlays.push({id: "uncovered", group: areaGroup, show: true, standardBound: true});
    overlays.push({id: "bands", group: bandGroup, show: false, standardBound: true});
    data.overlays.forEach(function (o) {
      var group = L.layerGroup();
      var layer = geoJson(o.features, o.pane);
      var byZoom = [];
      layer.eachLayer(function (l) {
        var f = l.ccFeature;
        if (f.id !== undefined) byId[o.id + ":" + f.id] = l;
        if (f.minZoom) byZoom.push(l); else group.addLayer(l);
        l.ccOverlay = o.id;
      });
      var entry = {id: o.id, name: o.name, group: group, show: o.show, legend: o.legend,
                   byZoom: byZoom, spread: o.spread, data: o, labelGroup: null};
      if (o.labels && o.labels.length) {
        entry.labelGroup = L.layerGroup();
        o.labels.forEach(function (lab) {
          var m = labelMarker(lab.at, "village", 1e6 + (o.labels.length - o.labels.indexOf(lab)));
          m.ccBox.textContent = lab.text;
          m.ccMinZoom = o.labelMinZoom || 0;
          m.addTo(entry.labelGroup);
        });
      }
      overlays.push(entry);
    });
    var overlayById = {};
    overlays.forEach(function (o) { overlayById[o.id] = o; });

    function overlayName(o) {
      if (o.id === "uncovered") return current ? current.uncoveredLayer : "";
      if (o.id === "bands") return current ? current.bandsLayer : "";
      return o.name;
    }

    function syncZoomLayers() {
      var z = map.getZoom();
      overlays.forEach(function (o) {
        (o.byZoom || []).forEach(function (l) {
          var want = o.on && z >= l.ccFeature.minZoom;
          if (want && !o.group.hasLayer(l)) o.group.addLayer(l);
          if (!want && o.group.hasLayer(l)) o.group.removeLayer(l);
        });
        if (o.labelGroup) {
          if (o.on && z >= (o.data.labelMinZoom || 0)) o.labelGroup.addTo(map); else map.removeLayer(o.labelGroup);
        }
      });
    }

    function setOverlay(id, on) {
      var o = overlayById[id];
      if (!o) return;
      o.on = on;
      if (on) o.group.addTo(map); else map.removeLayer(o.group);
      if (o.box) o.box.checked = on;
      syncZoomLayers();
      refresh();
    }

    /* --- base maps ---------------------------------------------------------------------------- */
    var bases = {}, currentBase = null, notice = node("div", "cc-notice", W.base_offline);
    notice.id = "cc-notice";
    notice.setAttribute("role", "status");
    document.body.appendChild(notice);
    data.bases.forEach(function (b) {
      var group = L.layerGroup();
      (b.layers || []).forEach(function (t) {
        var url = t.url + (b.token ? "&tk=" + encodeURIComponent(b.token) : "");
        var tiles = L.tileLayer(url, {attribution: t.attribution, subdomains: t.subdomains || "abc",
                                      maxZoom: 18, crossOrigin: false});
        tiles.on("tileerror", function () { if (currentBase === b.id) b.errors += 1; checkBase(b); });
        tiles.on("tileload", function () { if (currentBase === b.id) b.loads += 1; checkBase(b); });
        group.addLayer(tiles);
      });
      b.group = group; b.errors = 0; b.loads = 0;
      bases[b.id] = b;
    });
    function checkBase(b) {
      var bad = currentBase === b.id && b.errors > 0 && b.loads === 0;
      notice.style.display = bad ? "block" : "none";
    }
    function setBase(id) {
      if (!bases[id]) id = "none";
      if (currentBase && bases[currentBase]) map.removeLayer(bases[currentBase].group);
      currentBase = id;
      var b = bases[id];
      b.errors = 0; b.loads = 0;
      notice.style.display = "none";
      b.group.addTo(map);
      setGcj(!!b.gcj02);
      if (b.layers && b.layers.length && navigator.onLine === false) { b.errors = 1; checkBase(b); }
      if (b.box) b.box.checked = true;
    }

    /* --- panels ------------------------------------------------------------------------------- */
    function panel(id, title, collapsed) {
      var box = node("div", "cc-box");
      box.id = id;
      var head = node("div", "cc-head");
      var toggle = node("button", "cc-toggle", title);
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      head.appendChild(toggle);
      var body = node("div", "cc-body");
      box.appendChild(head);
      box.appendChild(body);
      function set(open) {
        box.classList.toggle("cc-collapsed", !open);
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
      toggle.addEventListener("click", function () { set(box.classList.contains("cc-collapsed")); });
      set(!collapsed);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      document.body.appendChild(box);
      return {box: box, head: head, body: body, set: set};
    }

    // banner: title and one summary line per standard (click a line to show that standard)
    var banner = panel("cc-banner", data.title, phone);
    banner.box.classList.add("cc-banner");
    if (data.synthetic) banner.head.appendChild(node("div", "cc-synthetic", data.synthetic));
    if (data.siting) banner.head.appendChild(node("div", "cc-siting", data.siting));
    var summaryLines = {};
    data.standards.forEach(function (s) {
      var line = node("div", "cc-summary-line cc-summary-" + s.verdict);
      var mark = node("span", "cc-summary-mark", s.verdict === "pass" ? "✓" : "✗");
      mark.style.color = P.colours[s.verdict === "pass" ? "pass" : "large_gap"];
      line.appendChild(mark);
      line.appendChild(node("span", "cc-summary-text", s.summary));
      line.setAttribute("data-standard", s.id);
      line.addEventListener("click", function () { select(s.id); });
      banner.body.appendChild(line);
      summaryLines[s.id] = line;
    });
    if (data.issuedBy) banner.body.appendChild(node("div", "cc-issued", data.issuedBy));

    /* --- a province: a county page links back to the index; the index ranks the counties ------ */
    if (data.back) {
      var back = node("a", "cc-back", data.back.text);
      back.setAttribute("href", data.back.href);
      banner.head.appendChild(back);
    }
    var ranking = null;
    if (data.counties) {
      var rankBox = node("div", "cc-ranking");
      rankBox.appendChild(node("div", "cc-ranking-title", data.counties.title));
      ranking = node("ol", "cc-ranking-list");
      rankBox.appendChild(ranking);
      banner.body.appendChild(rankBox);
      L.geoJSON({type: "FeatureCollection", features: data.counties.items.map(function (c) {
        return {type: "Feature", geometry: c.geometry, properties: {}};
      })}, {
        pane: "cc-outline", interactive: false,
        style: function () { return {color: "#000000", weight: 3.2, fill: false}; }
      }).addTo(map);
      data.counties.items.forEach(function (c) {
        var m = labelMarker(c.at, "county", 2e12 + c.outside[Object.keys(c.outside)[0]]);
        m.ccBox.textContent = c.name;
        m.addTo(labels);
      });
    }
    function rankCounties() {
      if (!ranking || !current) return;
      ranking.textContent = "";
      var id = current.id;
      var items = data.counties.items.filter(function (c) { return c.outside[id] !== undefined; });
      items.sort(function (a, b) { return (b.outside[id] - a.outside[id]) || (a.name < b.name ? -1 : 1); });
      items.forEach(function (c) {
        var li = node("li", "cc-ranking-row");
        var a = node("a", "cc-county-link", c.name);
        a.setAttribute("href", c.href);
        a.title = data.counties.open;
        li.appendChild(a);
        li.appendChild(node("span", "cc-ranking-outside", c.outsideText[id]));
        var cls = c.cls[id];
        var share = node("span", "cc-label-share cc-" + cls, c.share[id]);
        share.style.background = P.colours[cls] || "#ffffff";
        share.style.color = P.text[cls] || "#111111";
        li.appendChild(share);
        ranking.appendChild(li);
      });
    }

    var roomy = window.innerWidth >= 1400 && window.innerHeight >= 850;
    var side = panel("cc-panel", W.layers, !roomy);
    var search = node("input", "cc-search");
    search.type = "search";
    search.placeholder = W.search;
    search.setAttribute("aria-label", W.search);
    var results = node("ul", "cc-results");
    side.head.insertBefore(search, side.head.firstChild);
    side.head.appendChild(results);

    function section(title) {
      var s = node("fieldset", "cc-section");
      s.appendChild(node("legend", "", title));
      side.body.appendChild(s);
      return s;
    }
    function choice(parent, type, name, text, checked, onChange) {
      var row = node("label", "cc-choice");
      var input = node("input");
      input.type = type; input.name = name; input.checked = checked;
      input.addEventListener("change", onChange);
      row.appendChild(input);
      var words = node("span", "", text);
      row.appendChild(words);
      parent.appendChild(row);
      return {input: input, words: words};
    }
    var stdSection = section(W.choose_standard);
    data.standards.forEach(function (s) {
      s.box = choice(stdSection, "radio", "cc-standard", s.name, false, function () { select(s.id); }).input;
    });
    var layerSection = section(W.layers);
    overlays.forEach(function (o) {
      var c = choice(layerSection, "checkbox", "cc-overlay", overlayName(o), false, function () {
        setOverlay(o.id, c.input.checked);
      });
      o.box = c.input; o.words = c.words;
    });
    var baseSection = section(W.base_map);
    data.bases.forEach(function (b) {
      bases[b.id].box = choice(baseSection, "radio", "cc-base", b.name, false, function () {
        setBase(b.id);
      }).input;
    });

    var legend = panel("cc-legend", W.legend, phone);

    function legendRow(item) {
      var row = node("div", "cc-legend-row");
      row.appendChild(swatchNode(item));
      row.appendChild(node("span", "cc-legend-text", item.text));
      legend.body.appendChild(row);
    }

    function buildLegend() {
      legend.body.textContent = "";
      if (current) {
        legend.body.appendChild(node("div", "cc-legend-title", current.name));
        var present = {}, missing = false;
        data.zones.forEach(function (f) {
          var c = f.properties.cls[current.id];
          if (c) present[c] = true; else missing = true;
        });
        ["pass", "small_gap", "large_gap"].forEach(function (c) {
          if (present[c]) legendRow({kind: "fill", fill: P.colours[c], color: P.colours[c], weight: 0,
                                     opacity: P.opacity, text: P.classes[c]});
        });
        if (present.no_people) {
          legendRow({kind: "fill", fill: "#ffffff", color: "#555555", opacity: 0, dash: "4 3",
                     weight: 1, text: P.classes.no_people});
        }
        if (missing) {
          legendRow({kind: "fill", fill: "#ffffff", color: "#1a1a1a", opacity: 0, weight: 1.6,
                     text: P.notApplicable});
        }
      }
      legendRow({kind: "fill", fill: "#ffffff", color: "#1a1a1a", opacity: 0, weight: 1.6, text: W.zones_outline});
      if (data.counties) {
        legendRow({kind: "fill", fill: "#ffffff", color: "#000000", opacity: 0, weight: 3.2, text: data.counties.outlines});
      }
      overlays.forEach(function (o) {
        if (!o.on) return;
        if (o.id === "uncovered" && current && current.areas.length) {
          legendRow({kind: "fill", fill: P.uncovered, color: P.uncovered, opacity: P.uncoveredOpacity,
                     weight: 0.6, text: current.uncoveredLayer});
        } else if (o.id === "bands" && current) {
          current.bands.legend.forEach(legendRow);
        } else if (o.legend) {
          o.legend.forEach(legendRow);
        }
      });
    }

    /* --- the chosen standard ------------------------------------------------------------------ */
    function select(id) {
      current = standards[id] || data.standards[0] || null;
      if (!current) return;
      zones.setStyle(zoneStyle);
      areaGroup.clearLayers(); areaGroup.addLayer(areaLayers[current.id]);
      bandGroup.clearLayers(); bandGroup.addLayer(bandLayers[current.id]);
      current.box.checked = true;
      Object.keys(summaryLines).forEach(function (k) {
        summaryLines[k].classList.toggle("cc-current", k === current.id);
      });
      var offered = false;
      overlays.forEach(function (o) {
        if (!o.words) return;
        o.words.textContent = overlayName(o);
        // a standard without time bands (a distance standard, a scenario) offers no bands layer;
        // a province index (its detail is on the county pages) offers no empty layer
        var empty = (o.id === "bands" && !current.bands.features.length) ||
          (!!data.counties && o.id === "uncovered" && !current.areas.length) ||
          (!!data.counties && !!o.data && !o.data.features.length);
        o.words.parentNode.style.display = empty ? "none" : "";
        offered = offered || !empty;
      });
      layerSection.style.display = offered ? "" : "none";  // no heading over nothing
      document.title = data.title + " · " + current.name + (data.synthetic ? " · " + data.synthetic : "");
      setZoneLabels();
      rankCounties();
      refresh();
    }

    /* --- labels without overlap, facility glyphs spread apart --------------------------------- */
    function placeLabels() {
      var z = map.getZoom();
      var shown = labelMarkers.filter(function (m) {
        return map.hasLayer(m) && (!m.ccMinZoom || z >= m.ccMinZoom);
      });
      shown.sort(function (a, b) { return b.ccPriority - a.ccPriority; });
      var taken = [];
      var size = map.getSize();
      shown.forEach(function (m) { m.ccBox.style.visibility = "visible"; });
      var rects = shown.map(function (m) { return m.ccBox.getBoundingClientRect(); });
      shown.forEach(function (m, i) {
        var r = rects[i];
        var pad = {left: r.left - 2, right: r.right + 2, top: r.top - 1, bottom: r.bottom + 1};
        var inside = r.right > 0 && r.left < size.x && r.bottom > 0 && r.top < size.y;
        var free = inside && taken.every(function (t) { return !overlap(pad, t); });
        m.ccBox.style.visibility = free ? "visible" : "hidden";
        if (free) taken.push(pad);
      });
    }

    /* Glyphs drawn on top of each other (a county seat's hospitals) are spread on a small ring
       around their common place; small dots (village level, zoomed out) are left where they are. */
    function spreadGlyphs() {
      var low = map.getZoom() < LOW_ZOOM;
      overlays.forEach(function (o) {
        if (!o.spread || !o.on) return;
        var items = [];
        o.group.eachLayer(function (l) {
          if (!l._icon || !l._icon.firstChild) return;
          var glyph = l._icon.firstChild;
          glyph.style.transform = "";
          l._icon.classList.remove("cc-spread");
          if (low && /cc-lv-(village|other)/.test(glyph.className)) return;
          items.push({layer: l, glyph: glyph, p: map.latLngToContainerPoint(l.getLatLng()),
                      size: (l.options.ccSize || 20) + 4, z: l.options.zIndexOffset || 0});
        });
        items.sort(function (a, b) { return b.z - a.z; });
        var clusters = [];
        items.forEach(function (it) {
          var home = null;
          clusters.forEach(function (c) {
            var reach = (c.size + it.size) / 2;
            if (!home && c.items.length < MAX_RING && Math.abs(c.p.x - it.p.x) < reach &&
                Math.abs(c.p.y - it.p.y) < reach) home = c;
          });
          if (home) { home.items.push(it); home.size = Math.max(home.size, it.size); }
          else clusters.push({p: it.p, size: it.size, items: [it]});
        });
        clusters.forEach(function (c) {
          var n = c.items.length;
          if (n < 2) return;
          var radius = n === 2 ? c.size / 2 : c.size / (2 * Math.sin(Math.PI / n));
          c.items.forEach(function (it, i) {
            var angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
            var dx = Math.round(radius * Math.cos(angle) + c.p.x - it.p.x);
            var dy = Math.round(radius * Math.sin(angle) + c.p.y - it.p.y);
            it.glyph.style.transform = "translate(" + dx + "px," + dy + "px)";
            it.layer._icon.classList.add("cc-spread");
          });
        });
      });
    }

    var pending = false;
    function refresh() {
      buildLegend();
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        placeLabels();
        spreadGlyphs();
      });
    }
    function zoomClass() {
      map.getContainer().classList.toggle("cc-zoom-low", map.getZoom() < LOW_ZOOM);
    }
    map.on("zoomend moveend resize", function () { zoomClass(); syncZoomLayers(); refresh(); });
    zoomClass();

    /* --- search ------------------------------------------------------------------------------- */
    var index = [];
    data.zones.forEach(function (f) { index.push({name: f.properties.name, key: "zone:" + f.id}); });
    data.overlays.forEach(function (o) {
      o.features.forEach(function (f) {
        if (f.properties.name && f.id !== undefined) index.push({name: f.properties.name, key: o.id + ":" + f.id, overlay: o.id});
      });
    });
    function go(item) {
      results.textContent = "";
      if (item.overlay && !overlayById[item.overlay].on) setOverlay(item.overlay, true);
      var layer = byId[item.key];
      if (!layer) return;
      if (phone) { side.set(false); legend.set(false); }
      if (layer.getBounds) {
        map.fitBounds(layer.getBounds(), {maxZoom: 13});
        var at = layer.ccFeature.properties.at;
        layer.openPopup(L.latLng(at[1], at[0]));
      } else {
        map.setView(layer.getLatLng(), Math.max(map.getZoom(), 14));
        layer.openPopup();
      }
    }
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      results.textContent = "";
      if (!q) return;
      var found = index.filter(function (it) { return it.name.toLowerCase().indexOf(q) >= 0; }).slice(0, 8);
      if (!found.length) results.appendChild(node("li", "cc-none", W.not_found));
      found.forEach(function (it) {
        var li = node("li", "cc-result", it.name);
        li.tabIndex = 0;
        li.addEventListener("click", function () { go(it); });
        li.addEventListener("keydown", function (e) { if (e.key === "Enter") go(it); });
        results.appendChild(li);
      });
    });
    search.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      var first = results.querySelector(".cc-result");
      if (first) first.click();
    });

    /* popups open clear of the panels; on a phone the panels fold away first */
    map.on("popupopen", function (e) {
      if (phone) { side.set(false); legend.set(false); banner.set(false); }
      var mapBox = map.getContainer().getBoundingClientRect();
      var tl = [10, 10], br = [10, 10];
      [banner.box, side.box, legend.box].forEach(function (box) {
        var r = box.getBoundingClientRect();
        if (r.left - mapBox.left < mapBox.width / 2) tl[0] = Math.max(tl[0], Math.min(r.right - mapBox.left, mapBox.width / 3) + 8);
        if (r.top - mapBox.top < mapBox.height / 2) tl[1] = Math.max(tl[1], r.bottom - mapBox.top + 8);
        else br[1] = Math.max(br[1], mapBox.bottom - r.top + 8);
      });
      e.popup.options.autoPanPaddingTopLeft = L.point(tl[0], tl[1]);
      e.popup.options.autoPanPaddingBottomRight = L.point(br[0], br[1]);
      if (e.popup._adjustPan) e.popup._adjustPan();
    });

    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    function fit() {
      map.options.zoomSnap = 0.25;  // fit the county tightly between the panels
      var top = banner.box.getBoundingClientRect().bottom + 6;
      var left = phone ? 10 : legend.box.getBoundingClientRect().right + 6;
      var right = phone ? 10 : window.innerWidth - side.box.getBoundingClientRect().left + 6;
      var bottom = phone ? side.box.getBoundingClientRect().height + 36 : 24;
      map.fitBounds(zones.getBounds(), {paddingTopLeft: [left, top], paddingBottomRight: [right, bottom]});
    }
    overlays.forEach(function (o) { setOverlay(o.id, !!o.show); });
    setBase(data.base);
    select(data.first);
    fit();

    window.carecirclesMap = {
      map: map, select: select, setOverlay: setOverlay, setBase: setBase,
      current: function () { return current && current.id; },
      overlays: function () { return overlays.map(function (o) { return {id: o.id, on: !!o.on}; }); },
      refresh: function () { placeLabels(); spreadGlyphs(); }
    };
  }

  window.carecircles = {start: start, popupNode: popupNode};
})();
