from organizations.models.charter import Charter, PartyBuildingChange
from organizations.models.filing import FilingApplication, FilingStep
from organizations.models.registry import Inspection, Membership, Organization, OrganizationEvent
from organizations.models.venues import Room, RoomBooking, Venue

__all__ = [
    "Charter",
    "FilingApplication",
    "FilingStep",
    "Inspection",
    "Membership",
    "Organization",
    "OrganizationEvent",
    "PartyBuildingChange",
    "Room",
    "RoomBooking",
    "Venue",
]
