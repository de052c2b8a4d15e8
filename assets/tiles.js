/* Thumbnail tiles (explorer/panels.py: a grid's tiles are HTML inside one component, not
 * components of their own): a click on a tile focuses its image on the Point panel, as a
 * click on its point does. The tile's row is its data-row. */
(function () {
    "use strict";
    document.addEventListener("click", function (event) {
        const tile = event.target.closest && event.target.closest(".tile[data-row]");
        const set = window.dash_clientside && window.dash_clientside.set_props;
        if (!tile || !set || event.target.closest("#viewer")) { return; }
        const row = parseInt(tile.getAttribute("data-row"), 10);
        if (Number.isInteger(row) && row >= 0) { set("focus-row", {data: row}); }
    });
}());
