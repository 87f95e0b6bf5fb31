/* Machine values as the page shows them: kinds, statuses, roles, models, kinds of source and origins.
   The API, the downloads and the page's data-* attributes keep the values themselves. */

import { t } from "./i18n.js";

function words() {
  return {
    client: t("client"),
    channel: t("channel"),
    network: t("network"),
    lead: t("lead"),
    active: t("active"),
    inactive: t("inactive"),
    blog: t("blog"),
    social: t("social"),
    ad: t("ad"),
    event: t("event"),
    direct: t("direct"),
    other: t("other"),
    house: t("house"),
    people: t("people"),
    channels: t("channels"),
    viewer: t("viewer"),
    editor: t("editor"),
    owner: t("owner"),
    first_touch: t("first_touch"),
    last_touch: t("last_touch"),
    linear: t("linear"),
    position_based: t("position_based"),
    time_decay: t("time_decay"),
    geometric: t("geometric"),
    unilevel: t("unilevel"),
    unilevel_compressed: t("unilevel_compressed"),
  };
}

// The reader's word for a machine value; a value without one (a name, a new kind) is shown as it is.
export function word(value) {
  const known = words();
  return Object.hasOwn(known, value) ? known[value] : value;
}
