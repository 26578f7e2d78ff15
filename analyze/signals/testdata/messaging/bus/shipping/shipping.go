package shipping

// OnPaid ships a paid order.
func OnPaid(ev any) {}
