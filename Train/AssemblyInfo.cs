// OrleansRay.Train: Ray Train's model on OrleansRay's public API (see README "Train").
