/* What axe cannot see, measured in the page: the focus indicator of every element in the tab
   order, the borders of form controls, sideways scrolling at phone widths. Called by
   cswb.testing.browser.page_problems after one real Tab key press, so that each focus() below
   is shown as keyboard focus (:focus-visible). Returns a list of problems as text. */
() => {
  const problems = [];

  function parse(colour) {
    const m = colour.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  }

  function over(top, bottom) {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (t, b) => (t * top.a + b * bottom.a * (1 - top.a)) / a;
    return { r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a };
  }

  // The colour painted behind an element: its ancestors' background colours, composited.
  function backgroundOf(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) {
        layers.push(c);
        if (c.a >= 1) break;
      }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  }

  function luminance(c) {
    const f = (v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }

  function contrast(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  function describe(el) {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    else if (el.className && typeof el.className === "string") {
      text += "." + el.className.trim().split(/\s+/).slice(0, 2).join(".");
    }
    const label = (el.getAttribute("aria-label") || el.textContent || el.value || "").trim();
    if (label) text += ' "' + label.replace(/\s+/g, " ").slice(0, 40) + '"';
    const region = el.closest("header, main, footer");
    return text + " in " + (region ? region.tagName.toLowerCase() : "body");
  }

  function shown(el) {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && !el.closest("[inert], [aria-hidden='true']");
  }

  // 1. Focus indicator: a solid outline of 2 px or more, 3:1 against the colour around it,
  //    and the focused element not covered by anything (a sticky bar, a banner).
  const focusable = document.querySelectorAll(
    "a[href], button, input:not([type='hidden']), select, textarea, summary, [tabindex]"
  );
  for (const el of focusable) {
    if (el.tabIndex < 0 || el.disabled || !shown(el)) continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const style = getComputedStyle(el);
    const width = parseFloat(style.outlineWidth) || 0;
    if (!el.matches(":focus-visible") || style.outlineStyle === "none" || width < 2) {
      problems.push(`focus: ${describe(el)} shows no outline of 2 px or more`);
    } else {
      const ring = parse(style.outlineColor);
      const offset = parseFloat(style.outlineOffset) || 0;
      // An outline drawn outside the element sits on its parent's background.
      const behind = backgroundOf(offset + width > 0 ? el.parentElement : el);
      const ratio = contrast(ring, behind);
      if (ratio < 3) {
        problems.push(`focus: ${describe(el)} outline contrast ${ratio.toFixed(2)}:1 < 3:1`);
      }
    }
    const box = el.getBoundingClientRect();
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const labelled = hit && el.labels && [...el.labels].some((l) => l.contains(hit));
    if (box.width > 1 && hit && !el.contains(hit) && !hit.contains(el) && !labelled) {
      problems.push(`focus: ${describe(el)} is covered by ${describe(hit)}`);
    }
    el.blur();
  }

  // 2. Control borders: 3:1 against the background around the control (WCAG 1.4.11).
  //    Controls the browser draws itself (appearance: auto) keep its 4.5:1 grey.
  const controls = document.querySelectorAll(
    "input:not([type='hidden']):not([type='submit']):not([type='button']):not([type='reset'])" +
      ":not([type='image']), select, textarea"
  );
  for (const el of controls) {
    if (el.disabled || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.right < 0 || box.bottom < 0) continue; // moved off-screen on purpose (honeypot)
    const style = getComputedStyle(el);
    if (style.appearance !== "none" && /checkbox|radio/.test(el.type)) continue;
    const width = parseFloat(style.borderTopWidth) || 0;
    const border = parse(style.borderTopColor);
    const ratio = width > 0 && border ? contrast(over(border, backgroundOf(el.parentElement)),
                                                 backgroundOf(el.parentElement)) : 0;
    if (ratio < 3) {
      problems.push(`border: ${describe(el)} border contrast ${ratio.toFixed(2)}:1 < 3:1`);
    }
  }

  // 3. Reflow: the page itself never scrolls sideways (WCAG 1.4.10); what must be wider
  //    (a table) scrolls in a region that is focusable, named, and scrolls with the keyboard.
  if (document.documentElement.scrollWidth > innerWidth + 1) {
    problems.push(
      `reflow: the page is ${document.documentElement.scrollWidth} px wide at ${innerWidth} px`
    );
  }
  const scrollers = [];
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (!/(auto|scroll)/.test(style.overflowX) || el.scrollWidth <= el.clientWidth + 1) continue;
    if (!shown(el)) continue;
    const name = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (el.tabIndex < 0 || !name || el.getAttribute("role") !== "region") {
      problems.push(`scroll: ${describe(el)} scrolls sideways but is not a named, focusable region`);
    }
    scrollers.push(el);
  }
  window.__cswbScrollers = scrollers;
  return problems;
}
