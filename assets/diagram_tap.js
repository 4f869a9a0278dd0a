/* A tap on a node of the unrolled diagram opens the step panel at that step, as a click does with a mouse
   (views/diagram_tap.py sends it with FIGURES, the selector of the diagram's plots).

   Plotly turns no tap into a selection (plotly.js#6721): on a touch it finds the point under the finger only after
   its own selection step has looked for it, and it takes every touch on the plot for a pan, so the page could not be
   scrolled by a finger on the diagram either (its axes are fixed: a pan moves nothing). So a touch that starts on a
   diagram's plot area is kept from plotly and left to the browser, which scrolls the page under a moving finger; a
   touch that lifts where it went down, without the page having moved, is a tap. Plotly's own hover finds the point
   under it (the closest point within its hover distance, as for a mouse), and the tap sends it to Streamlit as the
   selection a click makes (plotly_selected, which Streamlit reads; the server then reads it as any click,
   views/step_state.take_click). Only points that carry a timestep are sent: a tap on empty space, an ellipsis or a
   label of no step selects nothing. Installed once per page (the listeners are on window, so they serve every
   figure drawn later). */
if (!window.tdeDiagramTap) {
  window.tdeDiagramTap = true;
  const SLOP = 10;  // px a finger may drift and still tap (plotly's own click tolerance is 8 px from the press)
  let touch = null, labelled = null;  // the touch going on; the plot whose hover label the last tap opened
  let taps = 0;
  const scrolled = () => [...document.querySelectorAll('[data-testid=stMain], html')].map((e) => e.scrollTop).join();
  // The diagram's plot under a touch's target: only plotly's main drag area (not the Play control, the modebar, a
  // legend), of a plot in a diagram container.
  const plotUnder = (target) => {
    if (!(target instanceof Element) || !target.classList.contains('nsewdrag')) return null;
    const plot = target.closest('.js-plotly-plot');
    return plot && plot.closest(window.tdeDiagramTapFigures) && plot._fullLayout ? plot : null;
  };
  const stepOf = (point) => (Array.isArray(point.customdata) ? point.customdata[0] : point.customdata);
  const select = (plot, target, x, y) => {
    const Fx = window.Plotly && window.Plotly.Fx;
    if (!Fx) return;
    Fx.unhover(plot);  // also lets the hover below run now (plotly throttles hovers)
    Fx.hover(plot, {target, clientX: x, clientY: y}, target.getAttribute('data-subplot') || 'xy');
    labelled = plot;  // the label of what was tapped stays, as after a click, until the next touch
    const point = (plot._hoverdata || []).find((p) => Number.isInteger(stepOf(p)));
    if (!point) return;
    // Each tap is a new selection (`tap` counts them): the server reads a selection once, and a figure sent again
    // keeps its last one, so without it a node tapped again after ◀ ▶ had moved the panel would be ignored.
    taps += 1;
    plot.emit('plotly_selected', {points: [{curveNumber: point.curveNumber, pointNumber: point.pointNumber,
      pointIndex: point.pointIndex, x: point.x, y: point.y, customdata: point.customdata,
      data: plot.data[point.curveNumber], fullData: point.fullData, tap: taps}]});
  };
  window.addEventListener('touchstart', (event) => {
    touch = null;
    if (labelled && window.Plotly && window.Plotly.Fx && labelled.isConnected) window.Plotly.Fx.unhover(labelled);
    labelled = null;
    const plot = plotUnder(event.target);
    if (!plot) return;
    event.stopPropagation();  // plotly's pan never starts, so it neither holds the page still nor reads the tap
    const finger = event.touches[0];
    if (event.touches.length === 1)  // a second finger (a pinch) is no tap
      touch = {plot, target: event.target, x: finger.clientX, y: finger.clientY, scrolled: scrolled()};
  }, {capture: true, passive: true});
  window.addEventListener('touchmove', (event) => {
    const finger = event.touches[0];
    if (touch && (event.touches.length !== 1 || Math.hypot(finger.clientX - touch.x, finger.clientY - touch.y) > SLOP))
      touch = null;
  }, {capture: true, passive: true});
  window.addEventListener('touchcancel', () => { touch = null; }, {capture: true, passive: true});
  window.addEventListener('touchend', (event) => {
    const tap = touch;
    touch = null;
    if (!tap || event.touches.length || scrolled() !== tap.scrolled) return;
    const finger = event.changedTouches[0];
    if (Math.hypot(finger.clientX - tap.x, finger.clientY - tap.y) > SLOP) return;
    event.preventDefault();  // no emulated mouse click after it: plotly would read that as a second selection
    select(tap.plot, tap.target, finger.clientX, finger.clientY);
  }, {capture: true, passive: false});
}
window.tdeDiagramTapFigures = FIGURES;
