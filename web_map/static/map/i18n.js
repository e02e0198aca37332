// Interface strings in Greek (default) and English; elements carry data-i18n keys.
const STRINGS = {
  el: {
    skip: "Μετάβαση στο πλαίσιο", title: "{name} — Χάρτης υπηρεσιών", municipality: "Δήμος", views: "Προβολές",
    planner: "Πολεοδομία", citizen: "Πολίτες", staff: "Υπηρεσία", map: "Χάρτης",
    "planner-title": "Πολεοδομική πληροφορία",
    "planner-help": "Κάντε κλικ στον χάρτη για ζώνη, όρους δόμησης, σχέδιο και ΦΕΚ.",
    date: "Ημερομηνία", radius: "Ακτίνα αδειών (μ.)", "select-title": "Επιλογή ζωνών ή αδειών",
    layer: "Επίπεδο", "land-use": "Χρήση γης", zones: "Ζώνες", permits: "Οικοδομικές άδειες", condition: "Συνθήκη (CQL2)",
    draw: "Σχεδίαση περιοχής", find: "Αναζήτηση", clear: "Καθαρισμός",
    "export-gpkg": "Λήψη GeoPackage (ΕΓΣΑ87)", "export-dxf": "Λήψη DXF (ΕΓΣΑ87)",
    "report-title": "Αναφορά προβλήματος", category: "Κατηγορία",
    "pin-help": "Κάντε κλικ στον χάρτη για τη θέση, ή:", "my-location": "Η θέση μου",
    description: "Περιγραφή", photos: "Φωτογραφίες (έως 3)",
    contact: "Στοιχεία επικοινωνίας (προαιρετικά, δεν δημοσιεύονται)", "first-name": "Όνομα",
    "last-name": "Επώνυμο", email: "Ηλ. ταχυδρομείο", phone: "Τηλέφωνο", send: "Αποστολή",
    "follow-title": "Παρακολούθηση αιτήματος", "request-id": "Αριθμός αιτήματος",
    follow: "Αναζήτηση", "nearest-title": "Κοντά μου", "on-foot": "με τα πόδια",
    "by-car": "με το αυτοκίνητο", minutes: "λεπτά",
    "traffic-today": "Κυκλοφορία σήμερα", "vehicles-hour": "Οχήματα ανά ώρα",
    "usual-flow": "Συνήθως αυτή την ώρα",
    "live-status": "Τώρα: {bays} ελεύθερες θέσεις, {lots} κενές θέσεις σε χώρους στάθμευσης",
    "live-offline": "Η ζωντανή ενημέρωση διακόπηκε· επανασύνδεση…",
    search: "Αναζήτηση στον χάρτη", "search-results": "Αποτελέσματα αναζήτησης",
    "search-placeholder": "Οδός, διεύθυνση, ΚΑΕΚ, άδεια, οικισμός…",
    "search-count": "{n} αποτελέσματα· βέλη για επιλογή, Enter για μετάβαση",
    "search-none": "Δεν βρέθηκε τίποτα", "kind-street": "Οδός", "kind-address": "Διεύθυνση",
    "kind-place": "Τοποθεσία", "kind-permit": "Οικοδομική άδεια", "kind-parcel": "Οικόπεδο (ΚΑΕΚ)",
    "kind-settlement": "Οικισμός", "kind-community": "Κοινότητα",
    "kind-refuge_area": "Χώρος καταφυγής", "kind-car_park": "Χώρος στάθμευσης",
    "kind-bus_stop": "Στάση λεωφορείου",
    unpaid: "Κατειλημμένη χωρίς πληρωμή", "unpaid-bays": "κατειλημμένες θέσεις χωρίς πληρωμή",
    "free-bays": "Ελεύθερες θέσεις στάθμευσης", "car-parks": "Χώροι στάθμευσης με κενές θέσεις",
    wifi: "WiFi σε λειτουργία", refuge: "Χώρος καταφυγής", "staff-title": "Υπηρεσία",
    token: "Κωδικός πρόσβασης (token)", signin: "Σύνδεση", status: "Κατάσταση",
    username: "Όνομα χρήστη", password: "Κωδικός", "with-token": "Με κωδικό πρόσβασης (token)",
    "signin-with": "Σύνδεση με", signout: "Αποσύνδεση", "my-requests": "Τα αιτήματά μου",
    "sign-in-to-follow": "Συνδεθείτε για να βλέπετε τα αιτήματά σας και τις σημειώσεις της υπηρεσίας για εσάς:",
    "note-for-you": "Για εσάς", "no-requests": "Κανένα αίτημα ακόμη.",
    "recent-title": "Πρόσφατα αιτήματα του δήμου",
    "open-all": "Ανοιχτά (όλα)", all: "Όλες", district: "Κοινότητα", from: "Από", to: "Έως",
    apply: "Εφαρμογή", heat: "Χάρτης πυκνότητας ανά κοινότητα", layers: "Επίπεδα",
    opacity: "Διαφάνεια", basemap: "Δημοτικός χάρτης", osm: "OpenStreetMap (διαδίκτυο)",
    "pin-set": "Θέση", "nearby-none": "Κανένα ανοιχτό αίτημα της κατηγορίας σε 50 μ.",
    "nearby-some": "Ανοιχτά αιτήματα της κατηγορίας σε 50 μ. — μπορείτε να παρακολουθήσετε ένα:",
    "need-pin": "Ορίστε πρώτα τη θέση στον χάρτη.", sent: "Καταχωρίστηκε το αίτημα",
    "no-zone": "Καμία ζώνη σε ισχύ εδώ αυτή την ημερομηνία.", "in-settlement": "Εντός οικισμού",
    "out-settlement": "Εκτός ορίων οικισμού", share: "Ποσοστό", plan: "Σχέδιο", fek: "ΦΕΚ",
    "in-force": "Σε ισχύ", coefficient: "Σ.Δ.", coverage: "Κάλυψη", height: "Ύψος",
    floors: "Όροφοι", "min-plot": "Αρτιότητα", "min-frontage": "Ελάχιστο πρόσωπο", "permits-near": "Άδειες σε ακτίνα",
    found: "βρέθηκαν", "signed-in": "Συνδεδεμένος/η", "signin-failed": "Λάθος στοιχεία, ανακλημένος κωδικός ή όχι ρόλος υπηρεσίας",
    "open-requests": "ανοιχτά αιτήματα", "not-found": "Δεν βρέθηκε", error: "Σφάλμα",
    "draw-help": "Κάντε κλικ για τις κορυφές· κλικ στην πρώτη για κλείσιμο.", m: "μ.",
    "in-force-layer": "Ζώνες σε ισχύ την ημερομηνία", "report-centre": "Πληροφορία στο κέντρο του χάρτη",
    "pin-centre": "Θέση στο κέντρο του χάρτη", "routes-title": "Ομάδες και δρομολόγια συνεργείων",
    "cluster-eps": "Απόσταση ομάδας (μ.)", clusters: "Ομάδες αιτημάτων", "crew-count": "Συνεργεία",
    "shift-start": "Βάρδια από", "shift-end": "έως", "plan-routes": "Σχεδίαση δρομολογίων",
    "depot-help": "Αφετηρία: το κέντρο του χάρτη.", crew: "Συνεργείο", stops: "στάσεις",
    drive: "οδήγηση", sheet: "Φύλλο διαδρομής", unassigned: "Χωρίς ανάθεση",
    "download-pdf": "Λήψη βεβαίωσης (PDF)", "print-certificate": "Εκτύπωση βεβαίωσης",
    "publish-title": "Δημοσίευση επιπέδου από αρχείο",
    "publish-file": "Αρχείο (GeoPackage, zip Shapefile, GeoJSON, KML, CSV)",
    preview: "Προεπισκόπηση", "layer-id": "Κωδικός επιπέδου (λατινικά, π.χ. street_lights)",
    "title-el": "Τίτλος στα ελληνικά", "title-en": "Τίτλος στα αγγλικά", colour: "Χρώμα",
    editors: "Ρόλοι που επεξεργάζονται (πέρα από την υπηρεσία)",
    "skip-outside": "Παράλειψη στοιχείων εκτός δήμου", publish: "Δημοσίευση",
    "publish-choose-file": "Επιλέξτε αρχείο.",
    "publish-summary": "{count} στοιχεία, γεωμετρία {geometry}, σύστημα αναφοράς {crs}. Διαλέξτε κλειδί και ιδιωτικά πεδία.",
    column: "Στήλη", field: "Πεδίο", type: "Τύπος", key: "Κλειδί", private: "Ιδιωτικό",
    publishing: "Δημοσίευση…", published: "Δημοσιεύτηκε το επίπεδο {id}: {count} στοιχεία.",
    "charts-title": "Διαγράμματα", "download-csv": "Δεδομένα (CSV)",
    "history-title": "Ιστορικό σχεδίων", "history-version": "Έκδοση σχεδίου",
    "outbox-title": "Αναφορές αυτής της συσκευής", "outbox-waiting": "αναμένει αποστολή",
    "outbox-sent": "στάλθηκε, αριθμός", "outbox-refused": "δεν έγινε δεκτή",
    "kept-offline": "Χωρίς σύνδεση: η αναφορά φυλάχτηκε σε αυτή τη συσκευή και θα σταλεί μόλις επανέλθει η σύνδεση.",
    "what-changed": "Τι άλλαξε σε αυτή την έκδοση", "zones-in-force": "ζώνες σε ισχύ",
    "change-added": "νέα ζώνη", "change-removed": "καταργήθηκε", "change-changed": "άλλαξε",
    "changes-added": "νέες", "changes-removed": "καταργήθηκαν", "changes-changed": "άλλαξαν",
    before: "Πριν", after: "Μετά", "no-changes": "Καμία αλλαγή ζωνών.", area: "Εμβαδόν",
    "chart-occupancy": "Πληρότητα στάθμευσης ανά ώρα της εβδομάδας",
    "chart-requests": "Αιτήματα ανά εβδομάδα και κατηγορία",
    "chart-time-to-close": "Χρόνος έως το κλείσιμο αιτημάτων, ανά εβδομάδα κλεισίματος",
    "chart-wifi": "Χρήστες του δημοτικού WiFi ανά μήνα",
    "bays-occupied": "Θέσεις με αισθητήρα (% κατειλημμένες)",
    "car-parks-occupied": "Χώροι στάθμευσης (% πληρότητα)",
    "requests-closed": "Αιτήματα που έκλεισαν", "median-hours": "Διάμεσος χρόνος (ώρες)",
    "p90-hours": "9 στα 10 έως (ώρες)", "clients-mean": "Μέσος αριθμός συνδεδεμένων",
    "clients-peak": "Συνδεδεμένοι στην πιο φορτωμένη ώρα",
    "chart-empty": "Δεν υπάρχουν δεδομένα για την περίοδο {start} – {end}.",
    "chart-period": "{start} – {end}", weekdays: "Δευ,Τρι,Τετ,Πεμ,Παρ,Σαβ,Κυρ",
    "axis-percent": "%", "axis-requests": "αιτήματα", "axis-hours": "ώρες", "axis-clients": "συνδεδεμένοι",
  },
  en: {
    skip: "Skip to the panel", title: "{name} — services map", municipality: "Municipality", views: "Views",
    planner: "Planning", citizen: "Citizens", staff: "Staff", map: "Map",
    "planner-title": "Planning information",
    "planner-help": "Click the map for the zone, building terms, plan and gazette issue (ΦΕΚ).",
    date: "Date", radius: "Permit radius (m)", "select-title": "Select zones or permits",
    layer: "Layer", "land-use": "Land use", zones: "Zones", permits: "Building permits", condition: "Condition (CQL2)",
    draw: "Draw an area", find: "Search", clear: "Clear",
    "export-gpkg": "Download GeoPackage (EPSG:2100)", "export-dxf": "Download DXF (EPSG:2100)",
    "report-title": "Report a problem", category: "Category",
    "pin-help": "Click the map to place the pin, or:", "my-location": "My location",
    description: "Description", photos: "Photos (up to 3)",
    contact: "Contact details (optional, never published)", "first-name": "First name",
    "last-name": "Last name", email: "E-mail", phone: "Phone", send: "Send",
    "follow-title": "Follow a request", "request-id": "Request number", follow: "Look up",
    "nearest-title": "Near me", "free-bays": "Free parking bays", "on-foot": "on foot",
    "by-car": "by car", minutes: "min",
    "traffic-today": "Traffic today", "vehicles-hour": "Vehicles an hour",
    "usual-flow": "Usual at this hour",
    "live-status": "Now: {bays} free bays, {lots} free spaces in car parks",
    "live-offline": "Live updates interrupted; reconnecting…",
    search: "Search the map", "search-results": "Search results",
    "search-placeholder": "Street, address, ΚΑΕΚ, permit, settlement…",
    "search-count": "{n} results; arrow keys to choose, Enter to go there",
    "search-none": "Nothing found", "kind-street": "Street", "kind-address": "Address",
    "kind-place": "Place", "kind-permit": "Building permit", "kind-parcel": "Parcel (ΚΑΕΚ)",
    "kind-settlement": "Settlement", "kind-community": "Community",
    "kind-refuge_area": "Refuge area", "kind-car_park": "Car park", "kind-bus_stop": "Bus stop",
    unpaid: "Occupied, not paid", "unpaid-bays": "occupied bays not paid for",
    "car-parks": "Car parks with free spaces", wifi: "WiFi that is up",
    refuge: "Refuge area", "staff-title": "Staff", token: "Access token", signin: "Sign in",
    username: "User name", password: "Password", "with-token": "With an access token",
    "signin-with": "Sign in with", signout: "Sign out", "my-requests": "My requests",
    "sign-in-to-follow": "Sign in to see your requests and the notes the services leave for you:",
    "note-for-you": "For you", "no-requests": "No requests yet.",
    "recent-title": "Recent requests in the municipality",
    status: "Status", "open-all": "Open (all)", all: "All",
    district: "Community", from: "From", to: "To", apply: "Apply",
    heat: "Density by community", layers: "Layers", opacity: "Opacity",
    basemap: "Municipal basemap", osm: "OpenStreetMap (internet)", "pin-set": "Pin",
    "nearby-none": "No open request of this category within 50 m.",
    "nearby-some": "Open requests of this category within 50 m — you can follow one instead:",
    "need-pin": "Place the pin on the map first.", sent: "Request received",
    "no-zone": "No zone in force here on this date.", "in-settlement": "Inside a settlement",
    "out-settlement": "Outside settlement boundaries", share: "Share", plan: "Plan",
    fek: "ΦΕΚ", "in-force": "In force", coefficient: "FAR", coverage: "Coverage",
    height: "Height", floors: "Floors", "min-plot": "Min. plot", "min-frontage": "Min. frontage", "permits-near": "Permits within",
    found: "found", "signed-in": "Signed in", "signin-failed": "Wrong credentials, a revoked token, or not a staff role",
    "open-requests": "open requests", "not-found": "Not found", error: "Error",
    "draw-help": "Click for the vertices; click the first to close.", m: "m",
    "in-force-layer": "Zones in force on the date", "report-centre": "Report at the map's centre",
    "pin-centre": "Pin at the map's centre", "routes-title": "Clusters and crew routes",
    "cluster-eps": "Cluster distance (m)", clusters: "Request clusters", "crew-count": "Crews",
    "shift-start": "Shift from", "shift-end": "to", "plan-routes": "Plan routes",
    "depot-help": "Depot: the map's centre.", crew: "Crew", stops: "stops", drive: "driving",
    sheet: "Route sheet", unassigned: "Unassigned",
    "download-pdf": "Download PDF certificate", "print-certificate": "Print the certificate",
    "publish-title": "Publish a layer from a file",
    "publish-file": "File (GeoPackage, zipped Shapefile, GeoJSON, KML, CSV)",
    preview: "Preview", "layer-id": "Layer id (Latin letters, e.g. street_lights)",
    "title-el": "Title in Greek", "title-en": "Title in English", colour: "Colour",
    editors: "Roles that may edit (besides staff)",
    "skip-outside": "Leave out features outside the municipality", publish: "Publish",
    "publish-choose-file": "Choose a file.",
    "publish-summary": "{count} features, geometry {geometry}, CRS {crs}. Choose the key and the private fields.",
    column: "Column", field: "Field", type: "Type", key: "Key", private: "Private",
    publishing: "Publishing…", published: "Layer {id} published: {count} features.",
    "charts-title": "Charts", "download-csv": "Data (CSV)",
    "history-title": "Plan history", "history-version": "Plan version",
    "outbox-title": "Reports from this device", "outbox-waiting": "waiting to send",
    "outbox-sent": "sent, number", "outbox-refused": "not accepted",
    "kept-offline": "No connection: the report is kept on this device and will be sent when the connection returns.",
    "what-changed": "What changed in this version", "zones-in-force": "zones in force",
    "change-added": "new zone", "change-removed": "removed", "change-changed": "changed",
    "changes-added": "new", "changes-removed": "removed", "changes-changed": "changed",
    before: "Before", after: "After", "no-changes": "No zone changed.", area: "Area",
    "chart-occupancy": "Parking occupancy by hour of the week",
    "chart-requests": "Requests per week and category",
    "chart-time-to-close": "Time to close requests, by week of closing",
    "chart-wifi": "Municipal WiFi users per month",
    "bays-occupied": "Sensor bays (% occupied)", "car-parks-occupied": "Car parks (% full)",
    "requests-closed": "Requests closed", "median-hours": "Median time (hours)",
    "p90-hours": "9 in 10 within (hours)", "clients-mean": "Mean clients connected",
    "clients-peak": "Clients in the busiest hour",
    "chart-empty": "No data for {start} – {end}.",
    "chart-period": "{start} – {end}", weekdays: "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "axis-percent": "%", "axis-requests": "requests", "axis-hours": "hours", "axis-clients": "clients",
  },
};

let language = "el";
// the municipality shown: its names and branded titles by language (setMunicipality)
let municipality = null;

export function t(key) {
  if (key === "title") return heading();
  return STRINGS[language][key] ?? STRINGS.el[key] ?? key;
}

function heading() {
  if (!municipality) return "dimos";
  return municipality.branding?.[`title_${language}`]
    ?? STRINGS[language].title.replace("{name}", municipality[`name_${language}`]);
}

/** Title the page after ``shown`` (a municipality of /api/config). */
export function setMunicipality(shown) {
  municipality = shown;
  for (const el of document.querySelectorAll("[data-i18n=title]")) el.textContent = t("title");
  document.title = `dimos — ${t("title")}`;
}

export function currentLanguage() {
  return language;
}

export function setLanguage(lang) {
  language = lang;
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  document.title = `dimos — ${t("title")}`;
  document.dispatchEvent(new CustomEvent("languagechange"));
}

/** The interface's own sentences in ``lang`` (the browser tests tell them from data). */
export function interfaceStrings(lang) {
  return Object.values(STRINGS[lang] ?? {});
}
