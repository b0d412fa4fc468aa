"""Cases: referrals, risk prioritisation with reasons, the response clock, safeguarding outcomes."""
