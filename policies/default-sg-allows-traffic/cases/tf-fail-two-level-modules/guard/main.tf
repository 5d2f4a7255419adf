variable "vpc_id" {
  type = string
}

module "default_sg" {
  source = "./default-sg"
  vpc_id = var.vpc_id
}
