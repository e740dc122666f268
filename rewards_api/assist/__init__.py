"""Staff assist: a shopper who opted in asks for help; staff on the floor see them."""
