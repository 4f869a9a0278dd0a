/* The step panel's browser side (views/step_script.py sends it with this run's constants: BOX, CELL, BUTTONS,
   OPENED, SCROLL, LABEL, BAND, COLOUR, T, OUTLINE, OUTLINE_WIDTH, REDRAW, FOLLOW). */

/* Installed once per page (on document.body, below Streamlit's page-wide shortcuts on document): an arrow key whose
   target is inside the panel stops there; unless a control of the panel uses arrows itself (a slider, tabs, a text
   box), it presses the panel's back or forward button. */
if (!window.tdeStepKeys) {
  window.tdeStepKeys = true;
  document.body.addEventListener('keydown', (event) => {
    const box = event.target.closest && event.target.closest('.st-key-' + BOX);
    if (!box || !(event.key in BUTTONS) || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.stopPropagation();
    const target = event.target;
    if (event.defaultPrevented || target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)
        || target.closest('[role=slider],[role=tablist]')) return;
    event.preventDefault();
    const button = box.querySelector('.st-key-' + BUTTONS[event.key] + ' button');
    if (button && !button.disabled) button.click();
  });
}

/* Every run: the panel is a labelled keyboard stop; when it has just opened the page scrolls to it (a slide goes back
   to its top); then, once the cell is drawn, its numbers are brought on screen if they are not. */
const scroller = (element) => {
  for (let parent = element.parentElement; parent; parent = parent.parentElement) {
    const overflow = getComputedStyle(parent).overflowY;
    if ((overflow === 'auto' || overflow === 'scroll') && parent.scrollHeight > parent.clientHeight) return parent;
  }
  return null;
};
// Scroll only the page's own scrolling area (never the window, which would shift the whole app, sidebar and all),
// leaving the app's header (60 px) clear: to the element's top, or just enough to show it whole.
const bring = (element, toTop) => {
  const area = scroller(element);
  if (!area) return;
  const box = element.getBoundingClientRect(), view = area.getBoundingClientRect(), top = view.top + 70;
  if (toTop || box.top < top) area.scrollTop += box.top - top;
  else if (box.bottom > view.bottom) area.scrollTop += Math.min(box.bottom - view.bottom + 8, box.top - top);
};
const box = document.querySelector('.st-key-' + BOX);
if (box) {
  box.tabIndex = 0;
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', 'Step panel: ← and → step t while the keyboard focus is inside it');
  if (window.tdeStepOpened !== OPENED) {
    const area = scroller(box);
    if (SCROLL) bring(box, true);
    else if (area) area.scrollTop = 0;  // a slide is laid out from its top: title, diagram strip, then the cell
  }
  window.tdeStepOpened = OPENED;
}
if (SCROLL) (function keep(tries) {
  const cell = [...document.querySelectorAll('.st-key-' + CELL + ' table, .st-key-narrow-' + CELL + ' table')]
    .find((plot) => plot.getBoundingClientRect().height > 0);
  if (!cell) { if (tries > 0) setTimeout(() => keep(tries - 1), 100); return; }
  bring(cell, false);
})(20);

/* One current step: the diagram (the wide figure and its phone twin) bands the panel's step and puts its Play control
   there. Sent again unchanged, a figure is not redrawn by the browser, so the band and the Play control are moved
   here, with plotly's own relayout and animate, once each figure is drawn, and after the browser has painted the
   panel's new numbers (a relayout of a large diagram takes a frame or several: the numbers come first). */
const afterPaint = (then) => requestAnimationFrame(() => setTimeout(then, 0));
const place = (tries) => {
  const plots = [...document.querySelectorAll('.st-key-unrolled_figure .js-plotly-plot, '
    + '.st-key-unrolled_figure_compact .js-plotly-plot')];
  if (!window.Plotly || !plots.length || plots.some((plot) => !plot._fullLayout)) {
    if (tries > 0) setTimeout(() => place(tries - 1), 100);
    return;
  }
  for (const plot of plots) {
    const axis = plot.layout.xaxis || {}, at = (axis.ticktext || []).indexOf(LABEL);
    if (at < 0) continue;
    const x = axis.tickvals[at], shapes = plot.layout.shapes || [];
    const band = shapes.findIndex((shape) => shape.name === BAND);
    const update = {};
    // Plotly inserts an object given at an index: an existing band only has its x moved.
    if (band >= 0) Object.assign(update, {[`shapes[${band}].x0`]: x - 0.45, [`shapes[${band}].x1`]: x + 0.45});
    else update[`shapes[${shapes.length}]`] = {type: 'rect', name: BAND, xref: 'x', yref: 'paper', x0: x - 0.45,
      x1: x + 0.45, y0: 0, y1: 1, fillcolor: COLOUR, opacity: 0.18, line: {width: 0}, layer: 'below'};
    const frame = ((plot.layout.meta || {}).frames || {})[LABEL];
    if (frame && (plot.layout.sliders || []).length) update['sliders[0].active'] = frame[1];
    window.Plotly.relayout(plot, update);
    if (frame) window.Plotly.animate(plot, [frame[0]],
      {frame: {duration: 0, redraw: false}, transition: {duration: 0}, mode: 'immediate'});
  }
};
afterPaint(() => place(30));

/* The states strip is the same figure at every step: its outline of step t is placed here, after the paint too. */
const outline = (tries) => {
  const plot = document.querySelector('.st-key-step_strip .js-plotly-plot');
  if (!window.Plotly || !plot || !plot._fullLayout) {
    if (tries > 0) setTimeout(() => outline(tries - 1), 100);
    return;
  }
  const shapes = plot.layout.shapes || [];
  const at = shapes.findIndex((shape) => shape.name === OUTLINE);
  const update = {};
  if (at >= 0) Object.assign(update, {[`shapes[${at}].x0`]: T - 0.5, [`shapes[${at}].x1`]: T + 0.5});
  else update[`shapes[${shapes.length}]`] = {type: 'rect', name: OUTLINE, xref: 'x', yref: 'paper', x0: T - 0.5,
    x1: T + 0.5, y0: 0, y1: 1, line: {color: COLOUR, width: OUTLINE_WIDTH}};
  window.Plotly.relayout(plot, update);
};
afterPaint(() => outline(30));

/* A step the diagram does not draw (hidden behind its ellipsis): once the panel has answered, the diagram is laid out
   around it by the unrolled page's fragment, which its hidden button runs (once per step and opening). */
if (REDRAW && window.tdeFollowed !== `${OPENED}:${LABEL}`) {
  window.tdeFollowed = `${OPENED}:${LABEL}`;
  afterPaint(() => {
    const button = document.querySelector('.st-key-' + FOLLOW + ' button');
    if (button) button.click();
  });
}
