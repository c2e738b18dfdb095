/* carecircles: draw the map's data layers from JSON and build every popup, tooltip and marker
   glyph with DOM nodes and textContent. Strings from input files (names, codes, types) reach the
   page only as JSON data and the DOM only as text: never as HTML, script or template source.

   A feature's properties:
     style    Leaflet path options for polygons (colours chosen by carecircles, not by data)
     marker   {kind: "glyph", text, cls, background, size, border, z} or {kind: "circle", ...path options}
     popup    {title, rows: [[label, value], ...], lines: [text, ...]}
     tooltip  text */
(function () {
  "use strict";

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined && text !== null) el.textContent = String(text);
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
    (spec.lines || []).forEach(function (text) {
      box.appendChild(node("div", "cc-popup-line", text));
    });
    return box;
  }

  function glyphNode(m) {
    var el = node("div", m.cls, m.text);
    el.style.background = m.background;
    el.style.width = el.style.height = m.size + "px";
    el.style.lineHeight = m.size - 4 + "px";
    el.style.fontSize = m.size - 8 + "px";
    el.style.border = m.border;
    return el;
  }

  function pointLayer(feature, latlng) {
    var m = feature.properties.marker || {kind: "circle"};
    if (m.kind === "glyph") {
      var half = Math.round(m.size / 2);
      return L.marker(latlng, {
        icon: L.divIcon({html: glyphNode(m), className: "cc-icon", iconSize: [m.size, m.size],
                         iconAnchor: [half, half]}),
        zIndexOffset: m.z || 0,
        keyboard: false
      });
    }
    return L.circleMarker(latlng, m);
  }

  function bind(feature, layer) {
    var p = feature.properties;
    if (p.popup) {
      // text keeps its line breaks (pre-wrap), so Leaflet cannot measure it: give a width range
      layer.bindPopup(function () { return popupNode(p.popup); }, {minWidth: 220, maxWidth: 320});
    }
    if (p.tooltip !== undefined && p.tooltip !== null && p.tooltip !== "") {
      layer.bindTooltip(function () { return node("span", "cc-tooltip", p.tooltip); });
    }
  }

  window.carecircles = {
    /* Add a GeoJSON FeatureCollection to a layer group (a folium FeatureGroup). */
    addGeoJson: function (group, data) {
      L.geoJSON(data, {
        style: function (feature) { return feature.properties.style || {}; },
        pointToLayer: pointLayer,
        onEachFeature: bind
      }).eachLayer(function (layer) { group.addLayer(layer); });
    },
    popupNode: popupNode
  };
})();
