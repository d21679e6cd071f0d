"""ketamine-clinic: an open-source system for clinics that give ketamine therapy."""
