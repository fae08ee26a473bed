// GOV.UK Frontend bootstrap, loaded as a module file because the CSP forbids inline script.
// Pages work without it; it only enhances (menus, error summary focus, skip link).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
