import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';
import { catalogGraphModule } from './modules/catalogGraph';

// The reliability plugin (@reliability-suite/plugin-reliability) and TechDocs (@backstage/plugin-techdocs: the
// Docs tab and /docs) are discovered from package.json (app.packages: all).
export default createApp({
  features: [catalogPlugin, navModule, homeModule, catalogGraphModule],
});
