// The property page's gallery. Without this script each thumbnail is a link to its photo; with
// it the thumbnails become buttons that show their photo in the large frame, and the arrow keys
// (in the reading direction, so mirrored on a right-to-left page), Home and End move between
// them. Served by Strata (the site's CSP allows only its own scripts).
"use strict";
document.querySelectorAll("[data-gallery]").forEach((gallery) => {
  const frame = gallery.querySelector(".gallery-main");
  const main = frame && frame.querySelector("img");
  const list = gallery.querySelector(".gallery-thumbs");
  const thumbs = Array.from(gallery.querySelectorAll(".gallery-thumb"));
  if (!main || !list || thumbs.length < 2) return;
  // A toolbar of buttons now, no longer a list: its items lose their list-item role too (a
  // list item outside a list is an error to assistive technology, and to axe).
  list.setAttribute("role", "toolbar");
  list.querySelectorAll(":scope > li").forEach((item) => item.setAttribute("role", "none"));
  let current = 0;
  const show = (index, focus) => {
    current = (index + thumbs.length) % thumbs.length;
    const thumb = thumbs[current];
    frame.href = thumb.href;
    // srcset first: while it names other files, the browser would keep showing one of those.
    if (thumb.dataset.srcset) main.srcset = thumb.dataset.srcset;
    else main.removeAttribute("srcset");
    main.src = thumb.href;
    main.alt = thumb.dataset.alt;
    main.width = Number(thumb.dataset.width);
    main.height = Number(thumb.dataset.height);
    main.classList.toggle("fill", thumb.dataset.fill === "true");
    // One tab stop for the row (roving tabindex); the arrows move within it.
    thumbs.forEach((t, i) => {
      t.setAttribute("aria-pressed", String(i === current));
      t.tabIndex = i === current ? 0 : -1;
    });
    if (focus) thumb.focus();
  };
  thumbs.forEach((thumb, i) => {
    thumb.setAttribute("role", "button");
    thumb.addEventListener("click", (event) => {
      event.preventDefault();
      show(i, false);
    });
  });
  gallery.addEventListener("keydown", (event) => {
    const forward = getComputedStyle(gallery).direction === "rtl" ? "ArrowLeft" : "ArrowRight";
    const backward = forward === "ArrowLeft" ? "ArrowRight" : "ArrowLeft";
    const on = thumbs.indexOf(event.target);
    if (event.key === forward) show(current + 1, true);
    else if (event.key === backward) show(current - 1, true);
    else if (event.key === "Home") show(0, true);
    else if (event.key === "End") show(thumbs.length - 1, true);
    // A button answers the space bar (a link would scroll the page).
    else if (event.key === " " && on >= 0) show(on, false);
    else return;
    event.preventDefault();
  });
  show(0, false);
});
