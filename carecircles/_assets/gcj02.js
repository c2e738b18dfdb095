/* carecircles: show overlays in GCJ-02 while a GCJ-02 base map (Amap/Gaode tiles) is chosen.
   Data stay in WGS-84; each vector layer keeps its WGS-84 geometry and is redrawn shifted.
   Same published formula as carecircles/coords.py (tested there against reference vectors). */
(function () {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function outOfChina(lng, lat) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function offset(lng, lat) {
    var x = lng - 105.0, y = lat - 35.0, s = Math.sqrt(Math.abs(x));
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * s + common;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * s + common;
    dLng += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLng += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sm = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sm) * PI);
    dLng = (dLng * 180.0) / (A / sm * Math.cos(rad) * PI);
    return [dLng, dLat];
  }
  function toGcj(ll) {
    if (outOfChina(ll.lng, ll.lat)) return L.latLng(ll.lat, ll.lng);
    var d = offset(ll.lng, ll.lat);
    return L.latLng(ll.lat + d[1], ll.lng + d[0]);
  }
  function copy(ll, f) { return Array.isArray(ll) ? ll.map(function (x) { return copy(x, f); }) : f(ll); }
  function same(ll) { return L.latLng(ll.lat, ll.lng); }
  function apply(layer, on) {
    if (layer instanceof L.GridLayer) return;
    if (layer.setLatLng && layer.getLatLng) {
      if (layer._ccWgs === undefined) layer._ccWgs = same(layer.getLatLng());
      layer.setLatLng(on ? toGcj(layer._ccWgs) : layer._ccWgs);
    } else if (layer.setLatLngs && layer.getLatLngs) {
      if (layer._ccWgs === undefined) layer._ccWgs = copy(layer.getLatLngs(), same);
      layer.setLatLngs(copy(layer._ccWgs, on ? toGcj : same));
    }
  }
  /* Returns set(on): redraw every vector layer and marker shifted (on) or in WGS-84 (off). */
  window.carecirclesGcj02 = function (map) {
    var on = false;
    map.on("layeradd", function (e) {
      if (on || e.layer._ccWgs !== undefined) apply(e.layer, on);
    });
    window.carecirclesToGcj02 = toGcj;
    return function (value) {
      if (value === on) return;
      on = value;
      map.eachLayer(function (layer) { apply(layer, on); });
    };
  };
})();
