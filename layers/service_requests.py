"""Citizen service requests: the public record; the reporter's contact data is private."""
from layers.model import Choice, Field, Layer, Style, Temporal

STATUSES = (
    Choice("open", "Νέο", "New"),
    Choice("acknowledged", "Παραλήφθηκε", "Acknowledged"),
    Choice("in_progress", "Σε εξέλιξη", "In progress"),
    Choice("closed", "Έκλεισε", "Closed"),
    Choice("rejected", "Απορρίφθηκε", "Rejected"),
    Choice("duplicate", "Διπλότυπο", "Duplicate"),
)

LAYER = Layer(
    id="service_requests",
    title_el="Αιτήματα πολιτών",
    title_en="Citizen requests",
    description_el="Αιτήματα πολιτών (λακκούβες, φωτισμός, απορρίμματα...) με κατηγορία, "
    "κατάσταση και ημερομηνίες. Τα στοιχεία του αιτούντος δεν δημοσιεύονται.",
    description_en="Citizens' service requests (potholes, street lights, rubbish...) with category, "
    "status and dates. Reporters' personal data is never published.",
    geometry_type="Point",
    fields=(
        Field("service_request_id", "text", "Αριθμός αιτήματος", "Request id", required=True),
        Field("service_code", "text", "Κωδικός κατηγορίας", "Service code", required=True),
        Field("service_name", "text", "Κατηγορία", "Category"),
        Field("description", "text", "Περιγραφή", "Description"),
        Field("status", "text", "Κατάσταση", "Status", required=True, choices=STATUSES),
        Field("requested_at", "timestamptz", "Υποβλήθηκε", "Requested at", required=True),
        Field("updated_at", "timestamptz", "Ενημερώθηκε", "Updated at"),
        Field("closed_at", "timestamptz", "Έκλεισε", "Closed at"),
        Field("address_string", "text", "Διεύθυνση", "Address"),
        Field("district_code", "text", "Κοινότητα", "District", references="districts"),
        Field("settlement_code", "text", "Οικισμός", "Settlement",
              references="settlements"),
        Field("agency_responsible", "text", "Αρμόδια υπηρεσία", "Department responsible"),
        Field("expected_at", "timestamptz", "Αναμενόμενη ολοκλήρωση", "Expected completion"),
        Field("duplicate_of", "text", "Διπλότυπο του", "Duplicate of (request id)"),
        Field("reporter_name", "text", "Ονοματεπώνυμο", "Reporter's name", private=True),
        Field("reporter_email", "text", "Ηλ. ταχυδρομείο", "Reporter's e-mail", private=True),
        Field("reporter_phone", "text", "Τηλέφωνο", "Reporter's phone", private=True),
        # the signed-in citizen's account: they alone see the notes meant for them
        Field("reporter_account", "text", "Λογαριασμός αιτούντος", "Reporter's account",
              private=True),
        # returned to the submitting app; GET tokens/{token} answers with the request id
        Field("submission_token", "text", "Κωδικός υποβολής", "Submission token", private=True),
    ),
    natural_key=("service_request_id",),
    temporal=Temporal("requested_at"),
    checks=(("service_requests_closed_after", "closed_at IS NULL OR closed_at >= requested_at"),),
    style=Style(color="#ff7f00", fill_color="#ff7f00", fill_opacity=0.8, weight=1, radius=5),
    editable=True,
    keywords=("Open311", "αίτημα", "request"),
)
